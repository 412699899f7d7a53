import React from 'react';
import List from '@material-ui/core/List';
import ListItem from '@material-ui/core/ListItem';
import ListItemText from '@material-ui/core/ListItemText';
import Typography from '@material-ui/core/Typography';
import { InfoCard, Progress, WarningPanel } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { idpApiRef } from '../api/ref';
import { useLoad } from './useLoad';

/** At most this many are listed; the service keeps them all. */
export const PROBLEMS_SHOWN = 100;

export function ProblemsCard() {
  const idp = useApi(idpApiRef);
  const problems = useLoad(() => idp.getProblems(), [idp]);
  if (problems.state !== 'loaded') {
    return (
      <InfoCard title="Manifest problems">
        {problems.state === 'loading' ? <Progress /> : (
          <WarningPanel defaultExpanded severity="error" title="Could not read the manifest problems" message={problems.error.message} />
        )}
      </InfoCard>
    );
  }
  const { problems: all, sourceError } = problems.value;
  // Errors first: those manifests are left out of the catalog.
  const sorted = [...all].sort((a, b) => Number(a.severity !== 'error') - Number(b.severity !== 'error'));
  const errors = all.filter(problem => problem.severity === 'error').length;
  return (
    <InfoCard title="Manifest problems"
      subheader={`${errors} error${errors === 1 ? '' : 's'} (left out of the catalog), ${all.length - errors} warning${all.length - errors === 1 ? '' : 's'}`}>
      {sourceError && <WarningPanel defaultExpanded severity="warning" title="The last read of the GitOps repository failed" message={sourceError} />}
      {all.length === 0 ? (
        <Typography variant="body2" data-testid="idp-no-problems">Every manifest is valid.</Typography>
      ) : (
        <List dense>
          {sorted.slice(0, PROBLEMS_SHOWN).map((problem, index) => (
            <ListItem key={`${problem.text}-${index}`} data-testid="idp-problem">
              <ListItemText
                primary={<code style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>{problem.text}</code>}
                secondary={problem.severity}
              />
            </ListItem>
          ))}
        </List>
      )}
      {all.length > PROBLEMS_SHOWN && (
        <Typography variant="body2">…and {all.length - PROBLEMS_SHOWN} more (GET /api/v1/problems lists them all).</Typography>
      )}
    </InfoCard>
  );
}
