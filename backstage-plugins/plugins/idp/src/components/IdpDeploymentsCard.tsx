import React from 'react';
import Box from '@material-ui/core/Box';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import {
  InfoCard,
  Link,
  LinkButton,
  Progress,
  StatusError,
  StatusOK,
  StatusPending,
  StatusWarning,
  WarningPanel,
} from '@backstage/core-components';
import { configApiRef, useApi } from '@backstage/frontend-plugin-api';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { useEntity } from '@backstage/plugin-catalog-react';
import type { ApplicationStatus, EnvironmentStatus } from '../api/types';
import { idpApiRef } from '../api/ref';
import { AuditEntries } from './AuditEntries';
import { applicationName, environmentRows, EnvironmentRow, promoteUrl, restartUrl } from './deployments';
import { argocdNote, describeCopy, describePod } from './status';
import { Load, useLoad } from './useLoad';

export const AUDIT_ENTRIES_ON_CARD = 5;
export const DEFAULT_PROMOTE_TEMPLATE_PATH = '/create/templates/default/idp-promote-image';
export const DEFAULT_RESTART_TEMPLATE_PATH = '/create/templates/default/idp-restart-application';

interface RowLinks {
  promote?: string;
  restart?: string;
}

/**
 * The entity card: one row per environment (git's version from the entity at once, Argo CD's
 * sync and health from the status request), Promote and Restart, live database copies, the
 * latest audit entries. Two requests: the status and the audit entries.
 */
export function IdpDeploymentsCard() {
  const { entity } = useEntity();
  const config = useApi(configApiRef);
  const idp = useApi(idpApiRef);
  const environments = config.getOptionalStringArray('idp.environments');
  const promotePath = config.getOptionalString('idp.promoteTemplatePath') ?? DEFAULT_PROMOTE_TEMPLATE_PATH;
  const restartPath = config.getOptionalString('idp.restartTemplatePath') ?? DEFAULT_RESTART_TEMPLATE_PATH;
  const rows = environmentRows(entity, environments);
  const name = applicationName(entity);
  const entityRef = stringifyEntityRef(entity);
  const status = useLoad(() => idp.getStatus(name), [idp, name]);
  const links = (row: EnvironmentRow): RowLinks => row.version === undefined ? {} : {
    promote: row.next ? promoteUrl(promotePath, entityRef, row.environment, row.next, row.version) : undefined,
    restart: restartUrl(restartPath, entityRef, row.environment),
  };
  return (
    <InfoCard title="Deployments" subheader="Versions in git, and what Argo CD reports, from the IDP catalog">
      {rows.length === 0 ? (
        <Typography variant="body2" data-testid="idp-no-environments">
          {name} lists no environment yet: add one under <code>spec.environments</code> in its manifest.
        </Typography>
      ) : (
        <EnvironmentTable rows={rows} links={links} status={status} />
      )}
      <StatusNotes application={name} status={status} />
      <Box mt={2}>
        <Typography variant="subtitle2">Latest self-service actions</Typography>
        <LatestAudit application={name} />
      </Box>
    </InfoCard>
  );
}

function EnvironmentTable(props: { rows: EnvironmentRow[]; links: (row: EnvironmentRow) => RowLinks; status: Load<ApplicationStatus> }) {
  const byEnvironment = new Map<string, EnvironmentStatus>();
  if (props.status.state === 'loaded') {
    for (const environment of props.status.value.environments ?? []) {
      byEnvironment.set(environment.environment, environment);
    }
  }
  return (
    <Table size="small" aria-label="environments">
      <TableHead>
        <TableRow>
          <TableCell>Environment</TableCell>
          <TableCell>Version</TableCell>
          <TableCell>Argo CD</TableCell>
          <TableCell>Links</TableCell>
          <TableCell />
        </TableRow>
      </TableHead>
      <TableBody>
        {props.rows.map(row => {
          const { promote, restart } = props.links(row);
          return (
            <TableRow key={row.environment} data-testid={`idp-environment-${row.environment}`}>
              <TableCell>{row.environment}</TableCell>
              <TableCell style={{ wordBreak: 'break-all' }}>
                {row.version ?? <Typography variant="body2" color="textSecondary">not deployed</Typography>}
              </TableCell>
              <TableCell data-testid={`idp-argocd-${row.environment}`}>
                <ArgoCdCell loading={props.status.state === 'loading'} status={byEnvironment.get(row.environment)} />
              </TableCell>
              <TableCell>
                {row.links.map((link, index) => (
                  <React.Fragment key={link.url}>
                    {index > 0 && ' · '}
                    <Link to={link.url}>{link.title}</Link>
                  </React.Fragment>
                ))}
              </TableCell>
              <TableCell align="right" style={{ whiteSpace: 'nowrap' }}>
                {promote && (
                  <LinkButton to={promote} size="small" variant="outlined" color="primary"
                    aria-label={`Promote ${row.version} from ${row.environment} to ${row.next}`}>
                    Promote to {row.next}
                  </LinkButton>
                )}
                {restart && (
                  <Box component="span" ml={promote ? 1 : 0}>
                    <LinkButton to={restart} size="small" variant="outlined"
                      aria-label={`Restart in ${row.environment}`}>
                      Restart
                    </LinkButton>
                  </Box>
                )}
              </TableCell>
            </TableRow>
          );
        })}
      </TableBody>
    </Table>
  );
}

/** Argo CD's sync and health of one environment, and each unhealthy pod in plain words. */
function ArgoCdCell(props: { loading: boolean; status: EnvironmentStatus | undefined }) {
  if (props.loading) {
    return <Typography variant="caption" color="textSecondary">asking…</Typography>;
  }
  const status = props.status;
  if (!status || (status.sync === null && status.health === null)) {
    return <Typography variant="caption" color="textSecondary">—</Typography>;
  }
  return (
    <>
      <Health health={status.health} sync={status.sync} />
      {(status.pods ?? []).map(pod => (
        <Typography key={`${pod.namespace}/${pod.name}`} variant="body2" data-testid="idp-pod" style={{ wordBreak: 'break-word' }}>
          {describePod(pod)}
        </Typography>
      ))}
    </>
  );
}

function Health(props: { health: string | null; sync: string | null }) {
  const text = [props.sync, props.health].filter(Boolean).join(' · ');
  switch (props.health) {
    case 'Healthy':
      return props.sync === 'Synced' ? <StatusOK>{text}</StatusOK> : <StatusWarning>{text}</StatusWarning>;
    case 'Degraded':
    case 'Missing':
      return <StatusError>{text}</StatusError>;
    case 'Progressing':
      return <StatusPending>{text}</StatusPending>;
    default:
      return <StatusWarning>{text}</StatusWarning>;
  }
}

/** Below the table: why Argo CD's part is missing (quietly), the live database copies. */
function StatusNotes(props: { application: string; status: Load<ApplicationStatus> }) {
  const status = props.status;
  if (status.state === 'loading') {
    return null;
  }
  if (status.state === 'failed') {
    return (
      <Box mt={1}>
        <WarningPanel severity="warning" title={`Could not read the status of ${props.application}: the versions are those in git`}
          message={status.error.message} />
      </Box>
    );
  }
  const note = argocdNote(status.value.argocd);
  const copies = (status.value.environments ?? []).flatMap(environment =>
    (environment.copies ?? []).map(copy => ({ environment: environment.environment, copy })));
  return (
    <>
      {note && (
        <Typography variant="caption" color="textSecondary" component="p" data-testid="idp-argocd-note">
          {note}
        </Typography>
      )}
      {copies.length > 0 && (
        <Box mt={2}>
          <Typography variant="subtitle2">Database copies</Typography>
          {copies.map(({ environment, copy }) => (
            <Typography key={`${environment}/${copy.component}/${copy.from}`} variant="body2" data-testid="idp-copy">
              In {environment}: {describeCopy(copy)}
            </Typography>
          ))}
        </Box>
      )}
    </>
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
