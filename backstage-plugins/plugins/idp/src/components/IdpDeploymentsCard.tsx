import React from 'react';
import Box from '@material-ui/core/Box';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { InfoCard, Link, LinkButton, Progress, WarningPanel } from '@backstage/core-components';
import { configApiRef, useApi } from '@backstage/frontend-plugin-api';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { useEntity } from '@backstage/plugin-catalog-react';
import { idpApiRef } from '../api/ref';
import { AuditEntries } from './AuditEntries';
import { applicationName, environmentRows, EnvironmentRow, promoteUrl } from './deployments';
import { useLoad } from './useLoad';

export const AUDIT_ENTRIES_ON_CARD = 5;
export const DEFAULT_PROMOTE_TEMPLATE_PATH = '/create/templates/default/idp-promote-image';

/** The entity card: one row per environment, a Promote button, the latest audit entries. */
export function IdpDeploymentsCard() {
  const { entity } = useEntity();
  const config = useApi(configApiRef);
  const environments = config.getOptionalStringArray('idp.environments');
  const templatePath = config.getOptionalString('idp.promoteTemplatePath') ?? DEFAULT_PROMOTE_TEMPLATE_PATH;
  const rows = environmentRows(entity, environments);
  const name = applicationName(entity);
  const entityRef = stringifyEntityRef(entity);
  return (
    <InfoCard title="Deployments" subheader="Versions in git, from the IDP catalog">
      {rows.length === 0 ? (
        <Typography variant="body2" data-testid="idp-no-environments">
          {name} lists no environment yet: add one under <code>spec.environments</code> in its manifest.
        </Typography>
      ) : (
        <EnvironmentTable rows={rows} promote={row => row.next && row.version !== undefined
          ? promoteUrl(templatePath, entityRef, row.environment, row.next, row.version)
          : undefined} />
      )}
      <Box mt={2}>
        <Typography variant="subtitle2">Latest self-service actions</Typography>
        <LatestAudit application={name} />
      </Box>
    </InfoCard>
  );
}

function EnvironmentTable(props: { rows: EnvironmentRow[]; promote: (row: EnvironmentRow) => string | undefined }) {
  return (
    <Table size="small" aria-label="environments">
      <TableHead>
        <TableRow>
          <TableCell>Environment</TableCell>
          <TableCell>Version</TableCell>
          <TableCell>Links</TableCell>
          <TableCell />
        </TableRow>
      </TableHead>
      <TableBody>
        {props.rows.map(row => {
          const promote = props.promote(row);
          return (
            <TableRow key={row.environment} data-testid={`idp-environment-${row.environment}`}>
              <TableCell>{row.environment}</TableCell>
              <TableCell style={{ wordBreak: 'break-all' }}>
                {row.version ?? <Typography variant="body2" color="textSecondary">not deployed</Typography>}
              </TableCell>
              <TableCell>
                {row.links.map((link, index) => (
                  <React.Fragment key={link.url}>
                    {index > 0 && ' · '}
                    <Link to={link.url}>{link.title}</Link>
                  </React.Fragment>
                ))}
              </TableCell>
              <TableCell align="right">
                {promote && (
                  <LinkButton to={promote} size="small" variant="outlined" color="primary"
                    aria-label={`Promote ${row.version} from ${row.environment} to ${row.next}`}>
                    Promote to {row.next}
                  </LinkButton>
                )}
              </TableCell>
            </TableRow>
          );
        })}
      </TableBody>
    </Table>
  );
}

function LatestAudit(props: { application: string }) {
  const idp = useApi(idpApiRef);
  const audit = useLoad(
    () => idp.getAudit({ application: props.application, limit: AUDIT_ENTRIES_ON_CARD }),
    [idp, props.application],
  );
  if (audit.state === 'loading') {
    return <Progress />;
  }
  if (audit.state === 'failed') {
    return (
      <WarningPanel defaultExpanded severity="error" title={`Could not read the audit log of ${props.application}`}
        message={audit.error.message} />
    );
  }
  if (audit.value.items.length === 0) {
    return (
      <Typography variant="body2" data-testid="idp-no-audit">
        No self-service action on {props.application} yet.
      </Typography>
    );
  }
  return <AuditEntries entries={audit.value.items} />;
}
