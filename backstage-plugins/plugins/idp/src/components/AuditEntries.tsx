import React from 'react';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import { Link } from '@backstage/core-components';
import type { AuditEntry } from '../api/types';
import { isWebUrl } from './deployments';
import { describeInputs, formatTime } from './format';

/** Audit entries as a table; every value is text (React escapes it), links only http(s). */
export function AuditEntries(props: { entries: AuditEntry[]; showApplication?: boolean }) {
  return (
    <Table size="small" aria-label="audit entries">
      <TableHead>
        <TableRow>
          <TableCell>When</TableCell>
          <TableCell>Who</TableCell>
          <TableCell>Action</TableCell>
          {props.showApplication && <TableCell>About</TableCell>}
          <TableCell>Outcome</TableCell>
          <TableCell>Pull request</TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {props.entries.map(entry => (
          <TableRow key={entry.id} data-testid="audit-entry">
            <TableCell>{formatTime(entry.time)}</TableCell>
            <TableCell style={{ wordBreak: 'break-all' }}>{entry.actor}</TableCell>
            <TableCell>
              {entry.action}
              {entry.dryRun ? ' (dry run)' : ''}
            </TableCell>
            {props.showApplication && <TableCell>{describeInputs(entry.inputs)}</TableCell>}
            <TableCell title={entry.message}>{entry.outcome}</TableCell>
            <TableCell>
              {entry.pullRequestUrl && isWebUrl(entry.pullRequestUrl) ? (
                <Link to={entry.pullRequestUrl}>{shortPullRequest(entry.pullRequestUrl)}</Link>
              ) : (
                entry.branch ?? ''
              )}
            </TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}

function shortPullRequest(url: string): string {
  const number = /\/pull\/(\d+)/.exec(url);
  return number ? `#${number[1]}` : url;
}
