import { describe, expect, it } from '@jest/globals';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { renderTestApp } from '@backstage/frontend-test-utils';
import { idpApiRef } from '../api/ref';
import { idpPlugin } from '../plugin';
import { auditEntry, InMemoryIdpApi } from '../testing/InMemoryIdpApi';
import { AUDIT_PAGE_SIZE } from './AuditLogCard';

const page = idpPlugin.getExtension('page:idp');

function render(api: InMemoryIdpApi) {
  renderTestApp({ extensions: [page], apis: [[idpApiRef, api]], initialRouteEntries: ['/idp'] });
  return api;
}

function auditRows(): HTMLElement[] {
  return screen.queryAllByTestId('audit-entry');
}

describe('the /idp page', () => {
  it('shows the adoption figures as the dashboard counts them', async () => {
    const api = new InMemoryIdpApi();
    api.adoption = {
      ...api.adoption,
      manifests: [
        { start: '2026-11-02', end: '2026-11-08', total: 40, byType: {}, bySystem: {} },
        { start: '2026-11-30', end: '2026-12-01', total: 46, byType: {}, bySystem: {} },
      ],
      pullRequests: [
        { start: '2026-11-02', autonomous: 3, platformTeam: 1, autonomousWithoutPlatformApproval: 1 },
        { start: '2026-11-30', autonomous: 3, platformTeam: 1, autonomousWithoutPlatformApproval: 2 },
      ],
      actions: [{ start: '2026-11-30', counts: { 'promote-image': { succeeded: 5, rejected: 2 }, 'create-application': { failed: 1 } } }],
    };
    render(api);
    expect(await screen.findByTestId('adoption-Applications')).toHaveTextContent('46');
    expect(screen.getByTestId('adoption-Manifests added')).toHaveTextContent('+6');
    expect(screen.getByTestId('adoption-Merged manifest pull requests')).toHaveTextContent('8');
    expect(screen.getByTestId('adoption-Merged by developers themselves')).toHaveTextContent('75 %');
    expect(screen.getByTestId('adoption-…without a platform-team approval')).toHaveTextContent('3');
    expect(screen.getByTestId('adoption-Actions succeeded / failed / refused')).toHaveTextContent('5 / 1 / 2');
    const adoption = api.calls.find(call => call.method === 'getAdoption');
    expect(adoption?.query).toMatchObject({ bucket: 'week' });
  });

  it('lists the invalid manifests as path:line:column, errors first, and the source error', async () => {
    const api = new InMemoryIdpApi();
    api.problems = {
      revision: 'abc',
      sourceError: 'git fetch timed out after 120 s',
      problems: [
        { path: 'apps/a.yaml', line: 3, column: 5, message: 'ledger names no application', severity: 'warning', text: 'apps/a.yaml:3:5: ledger names no application' },
        { path: 'apps/ü.yaml', line: 7, column: 1, message: '<b>unknown</b> field', severity: 'error', text: 'apps/ü.yaml:7:1: <b>unknown</b> field' },
      ],
    };
    render(api);
    const problems = await screen.findAllByTestId('idp-problem');
    expect(problems.map(p => p.textContent)).toEqual([
      'apps/ü.yaml:7:1: <b>unknown</b> fielderror',
      'apps/a.yaml:3:5: ledger names no applicationwarning',
    ]);
    expect(screen.getByText('1 error (left out of the catalog), 1 warning')).toBeInTheDocument();
    expect(screen.getByText('git fetch timed out after 120 s')).toBeInTheDocument();
  });

  it('pages the audit log on the service, newest first, and back', async () => {
    const api = new InMemoryIdpApi();
    api.entries = Array.from({ length: AUDIT_PAGE_SIZE + 5 }, (_, minute) => auditEntry(minute));
    render(api);
    await waitFor(() => expect(auditRows()).toHaveLength(AUDIT_PAGE_SIZE));
    expect(auditRows()[0]).toHaveTextContent('09:24 UTC');
    expect(screen.getByRole('button', { name: 'Newer' })).toBeDisabled();
    fireEvent.click(screen.getByRole('button', { name: 'Older' }));
    await waitFor(() => expect(auditRows()).toHaveLength(5));
    expect(auditRows()[0]).toHaveTextContent('09:04 UTC');
    expect(screen.getByRole('button', { name: 'Older' })).toBeDisabled();
    expect(screen.getByText('Page 2')).toBeInTheDocument();
    const audits = api.calls.filter(call => call.method === 'getAudit').map(call => call.query);
    expect(audits).toEqual([
      { limit: AUDIT_PAGE_SIZE },
      { limit: AUDIT_PAGE_SIZE, cursor: String(AUDIT_PAGE_SIZE) },
    ]);
    fireEvent.click(screen.getByRole('button', { name: 'Newer' }));
    await waitFor(() => expect(auditRows()).toHaveLength(AUDIT_PAGE_SIZE));
  });

  it('filters by action, actor and time, as the service reads them', async () => {
    const api = new InMemoryIdpApi();
    api.entries = [
      auditEntry(1, { action: 'create-application', actor: 'user:default/bob', inputs: { name: 'shop' } }),
      auditEntry(2, { actor: 'user:default/bob' }),
      auditEntry(3),
      auditEntry(50, { actor: 'user:default/bob' }),
    ];
    render(api);
    await waitFor(() => expect(auditRows()).toHaveLength(4));
    fireEvent.change(screen.getByLabelText('Action'), { target: { value: 'promote-image' } });
    fireEvent.change(screen.getByLabelText('Actor'), { target: { value: ' user:default/bob ' } });
    fireEvent.change(screen.getByLabelText('Since'), { target: { value: '2026-12-01T09:02' } });
    fireEvent.change(screen.getByLabelText('Until'), { target: { value: '2026-12-01T09:30' } });
    fireEvent.click(screen.getByRole('button', { name: 'Apply' }));
    await waitFor(() => expect(auditRows()).toHaveLength(1));
    expect(auditRows()[0]).toHaveTextContent('09:02 UTC');
    expect(api.calls.filter(call => call.method === 'getAudit').at(-1)?.query).toEqual({
      action: 'promote-image',
      actor: 'user:default/bob',
      since: '2026-12-01T09:02:00Z',
      until: '2026-12-01T09:30:00Z',
      limit: AUDIT_PAGE_SIZE,
    });
    fireEvent.change(screen.getByLabelText('Actor'), { target: { value: 'user:default/nobody' } });
    fireEvent.click(screen.getByRole('button', { name: 'Apply' }));
    expect(await screen.findByTestId('idp-audit-empty')).toHaveTextContent('No self-service action matches.');
  });

  it('asks three things for its first screen, shows progress, and says which part failed', async () => {
    const api = new InMemoryIdpApi();
    api.hold.getAdoption = true;
    api.fail.getProblems = new Error('GET /api/v1/problems answered HTTP 404 (is proxy.endpoints./idp configured in app-config.yaml?)');
    api.fail.getAudit = new Error('GET /api/v1/audit?limit=20 answered HTTP 401 (not signed in to Backstage?)');
    render(api);
    expect(await screen.findByText('Error: Could not read the manifest problems')).toBeInTheDocument();
    expect(screen.getByText(/proxy.endpoints.\/idp configured/)).toBeInTheDocument();
    expect(screen.getByText('Error: Could not read the audit log')).toBeInTheDocument();
    expect(screen.getByText(/HTTP 401/)).toBeInTheDocument();
    const adoptionCard = screen.getByText('Adoption').closest('.MuiCard-root') as HTMLElement;
    // Backstage's Progress draws its bar only after a short delay: wait for it.
    expect(await within(adoptionCard).findByRole('progressbar')).toBeInTheDocument();
    expect(api.calls.map(call => call.method).sort()).toEqual(['getAdoption', 'getAudit', 'getProblems']);
  });
});
