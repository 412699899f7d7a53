import React, { useState } from 'react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import { InfoCard, Progress, WarningPanel } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { idpApiRef } from '../api/ref';
import type { AuditQuery } from '../api/types';
import { AuditEntries } from './AuditEntries';
import { useLoad } from './useLoad';

export const AUDIT_PAGE_SIZE = 20;
export const ACTIONS = [
  'create-application',
  'promote-image',
  'set-version',
  'restart-application',
  'copy-database',
];

export interface AuditFilters {
  action: string;
  actor: string;
  /** `YYYY-MM-DDTHH:MM`, read as UTC; '' for none. */
  since: string;
  until: string;
}

const NO_FILTERS: AuditFilters = { action: '', actor: '', since: '', until: '' };

/** The filters as the service's query: times from the form are UTC minutes. */
export function auditQuery(filters: AuditFilters, cursor: string | undefined): AuditQuery {
  return {
    action: filters.action || undefined,
    actor: filters.actor.trim() || undefined,
    since: filters.since ? `${filters.since}:00Z` : undefined,
    until: filters.until ? `${filters.until}:00Z` : undefined,
    cursor,
    limit: AUDIT_PAGE_SIZE,
  };
}

/** The audit log, paged on the service: a stack of cursors walks back to newer pages. */
export function AuditLogCard() {
  const idp = useApi(idpApiRef);
  const [draft, setDraft] = useState<AuditFilters>(NO_FILTERS);
  const [filters, setFilters] = useState<AuditFilters>(NO_FILTERS);
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const page = useLoad(() => idp.getAudit(auditQuery(filters, cursor)), [idp, filters, cursor]);

  const apply = (event: React.FormEvent) => {
    event.preventDefault();
    setFilters(draft);
    setCursors([undefined]);
  };
  const field = (key: keyof AuditFilters) => ({
    value: draft[key],
    onChange: (event: React.ChangeEvent<HTMLInputElement>) => setDraft({ ...draft, [key]: event.target.value }),
  });
  return (
    <InfoCard title="Audit log" subheader="Every self-service action: who asked, which one, when, and what came of it">
      <form onSubmit={apply} aria-label="audit filters">
        <Box display="flex" flexWrap="wrap" alignItems="flex-end" style={{ gap: 16 }} mb={2}>
          <TextField select label="Action" style={{ minWidth: 200 }} {...field('action')}
            SelectProps={{ native: true }} InputLabelProps={{ shrink: true }} inputProps={{ 'aria-label': 'Action' }}>
            <option value="">any</option>
            {ACTIONS.map(action => <option key={action} value={action}>{action}</option>)}
          </TextField>
          <TextField label="Actor" placeholder="user:default/alice" {...field('actor')}
            inputProps={{ 'aria-label': 'Actor' }} />
          <TextField label="Since (UTC)" type="datetime-local" InputLabelProps={{ shrink: true }} {...field('since')}
            inputProps={{ 'aria-label': 'Since' }} />
          <TextField label="Until (UTC)" type="datetime-local" InputLabelProps={{ shrink: true }} {...field('until')}
            inputProps={{ 'aria-label': 'Until' }} />
          <Button type="submit" variant="contained" color="primary">Apply</Button>
        </Box>
      </form>
      {page.state === 'loading' && <Progress />}
      {page.state === 'failed' && (
        <WarningPanel defaultExpanded severity="error" title="Could not read the audit log" message={page.error.message} />
      )}
      {page.state === 'loaded' && (
        <>
          {page.value.items.length === 0 ? (
            <Typography variant="body2" data-testid="idp-audit-empty">No self-service action matches.</Typography>
          ) : (
            <AuditEntries entries={page.value.items} showApplication />
          )}
          <Box display="flex" justifyContent="space-between" alignItems="center" mt={1}>
            <Typography variant="body2" color="textSecondary">Page {cursors.length}</Typography>
            <Box>
              <Button disabled={cursors.length === 1} onClick={() => setCursors(cursors.slice(0, -1))}>Newer</Button>
              <Button disabled={!page.value.nextCursor}
                onClick={() => setCursors([...cursors, page.value.nextCursor ?? undefined])}>Older</Button>
            </Box>
          </Box>
        </>
      )}
    </InfoCard>
  );
}
