import React from 'react';
import Grid from '@material-ui/core/Grid';
import Typography from '@material-ui/core/Typography';
import { InfoCard, Progress, WarningPanel } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { idpApiRef } from '../api/ref';
import { adoptionFigures } from './adoptionFigures';
import { useLoad } from './useLoad';

export const ADOPTION_DAYS = 30;

export function AdoptionCard() {
  const idp = useApi(idpApiRef);
  const adoption = useLoad(() => {
    const from = new Date(Date.now() - ADOPTION_DAYS * 86_400_000).toISOString().slice(0, 10);
    return idp.getAdoption({ from, bucket: 'week' });
  }, [idp]);
  return (
    <InfoCard title="Adoption" subheader={`The last ${ADOPTION_DAYS} days`}>
      {adoption.state === 'loading' && <Progress />}
      {adoption.state === 'failed' && (
        <WarningPanel defaultExpanded severity="error" title="Could not read the adoption figures" message={adoption.error.message} />
      )}
      {adoption.state === 'loaded' && <Figures figures={adoptionFigures(adoption.value)} />}
    </InfoCard>
  );
}

function Figures({ figures }: { figures: ReturnType<typeof adoptionFigures> }) {
  const share = figures.autonomousShare === null ? '–' : `${Math.round(figures.autonomousShare * 100)} %`;
  const tiles: [string, string | number][] = [
    ['Applications', figures.applications],
    ['Manifests added', `${figures.manifestsAdded >= 0 ? '+' : ''}${figures.manifestsAdded}`],
    ['Merged manifest pull requests', figures.pullRequests],
    ['Merged by developers themselves', share],
    ['…without a platform-team approval', figures.withoutPlatformApproval],
    ['Actions succeeded / failed / refused',
      `${figures.actions.succeeded} / ${figures.actions.failed} / ${figures.actions.rejected}`],
  ];
  return (
    <Grid container spacing={2}>
      {tiles.map(([label, value]) => (
        <Grid item xs={6} md={4} key={label}>
          <Typography variant="h5" data-testid={`adoption-${label}`}>{value}</Typography>
          <Typography variant="body2" color="textSecondary">{label}</Typography>
        </Grid>
      ))}
    </Grid>
  );
}
