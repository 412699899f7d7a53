import { describe, expect, it } from '@jest/globals';
import { act, cleanup, screen, waitFor, within } from '@testing-library/react';
import { renderTestApp } from '@backstage/frontend-test-utils';
import { createTestEntityPage } from '@backstage/plugin-catalog-react/testUtils';
import type { Entity } from '@backstage/catalog-model';
import { idpApiRef } from '../api/ref';
import { idpPlugin } from '../plugin';
import { formatTime } from './format';
import { applicationStatus, auditEntry, InMemoryIdpApi } from '../testing/InMemoryIdpApi';

const PAYMENTS_VERSIONS = { dev: '1.4.2', staging: '1.4.1', prod: '1.3.0' };

const card = idpPlugin.getExtension('entity-card:idp/deployments');

function payments(overrides: Partial<Entity['metadata']> = {}, type = 'service'): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name: 'payments-api',
      description: 'Card payments API',
      annotations: {
        'idp/version.dev': '1.4.2',
        'idp/version.staging': '1.4.1',
        'idp/version.prod': '1.3.0',
      },
      links: [
        { url: 'https://wiki.example.com/payments', title: 'Runbook' },
        { url: 'https://argocd.example.com/applications/payments-api-dev', title: 'Argo CD (dev)' },
        { url: 'https://argocd.example.com/applications/payments-api-staging', title: 'Argo CD (staging)' },
        { url: 'https://argocd.example.com/applications/payments-api-prod', title: 'Argo CD (prod)' },
        { url: 'https://grafana.example.com/d/app?var-app=payments-api&var-env=prod', title: 'Dashboard (prod)' },
      ],
      ...overrides,
    },
    spec: { type, owner: 'team-payments', lifecycle: 'production', system: 'payments' },
  };
}

function render(entity: Entity, api = new InMemoryIdpApi(), config: object = {}) {
  renderTestApp({
    extensions: [createTestEntityPage({ entity }), card],
    apis: [[idpApiRef, api]],
    config: { idp: config },
  });
  return api;
}

function row(environment: string): HTMLElement {
  return screen.getByTestId(`idp-environment-${environment}`);
}

/** The row, once the (lazily loaded) card is on the screen. */
function findRow(environment: string): Promise<HTMLElement> {
  return screen.findByTestId(`idp-environment-${environment}`);
}

describe('EntityIdpDeploymentsCard', () => {
  it('shows one row per environment with its version and its own links', async () => {
    render(payments());
    await screen.findByText('Deployments');
    const rows = screen.getAllByTestId(/^idp-environment-/);
    expect(rows.map(r => r.dataset.testid)).toEqual([
      'idp-environment-dev',
      'idp-environment-staging',
      'idp-environment-prod',
    ]);
    expect(within(row('dev')).getByText('1.4.2')).toBeInTheDocument();
    expect(within(row('prod')).getByText('1.3.0')).toBeInTheDocument();
    const prodLinks = within(row('prod')).getAllByRole('link').map(link => link.getAttribute('href'));
    expect(prodLinks).toEqual([
      'https://argocd.example.com/applications/payments-api-prod',
      'https://grafana.example.com/d/app?var-app=payments-api&var-env=prod',
    ]);
    expect(within(row('dev')).queryByText('Runbook')).toBeNull();
  });

  it('opens the promote-image template pre-filled with the application and the next environment', async () => {
    render(payments());
    const promote = await screen.findByRole('button', { name: 'Promote 1.4.2 from dev to staging' });
    const url = new URL(promote.getAttribute('href')!, 'http://backstage');
    expect(url.pathname).toBe('/create/templates/default/idp-promote-image');
    expect(JSON.parse(url.searchParams.get('formData')!)).toEqual({
      application: 'component:default/payments-api',
      from: 'dev',
      to: 'staging',
      version: '1.4.2',
    });
    expect(within(row('staging')).getByRole('button', { name: /Promote 1.4.1 from staging to prod/ })).toBeInTheDocument();
    expect(within(row('prod')).queryByText(/Promote/)).toBeNull();
  });

  it('follows the configured order and template path; an environment without a version has no Promote', async () => {
    render(payments({ annotations: { 'idp/version.prod': '1.3.0', 'idp/version.dev': '2.0.0' } }), undefined, {
      environments: ['dev', 'staging', 'prod'],
      promoteTemplatePath: '/scaffold/templates/ops/promote',
    });
    await screen.findByText('Deployments');
    expect(screen.getAllByTestId(/^idp-environment-/).map(r => r.dataset.testid)).toEqual([
      'idp-environment-dev',
      'idp-environment-staging',
      'idp-environment-prod',
    ]);
    expect(within(row('staging')).getByText('not deployed')).toBeInTheDocument();
    expect(within(row('staging')).queryByText(/Promote/)).toBeNull();
    const promote = within(row('dev')).getByRole('button', { name: /Promote/ });
    expect(promote.getAttribute('href')).toMatch(/^\/scaffold\/templates\/ops\/promote\?formData=/);
    expect(promote).toHaveTextContent('Promote to staging');
  });

  it('asks the service twice: the last five entries of this application, and its status', async () => {
    const api = new InMemoryIdpApi();
    api.entries = [
      ...Array.from({ length: 7 }, (_, minute) => auditEntry(minute)),
      auditEntry(30, { inputs: { application: 'ledger-api', from: 'dev' } }),
    ];
    api.statuses['payments-api'] = applicationStatus('payments-api', PAYMENTS_VERSIONS);
    render(payments(), api);
    await waitFor(() => expect(screen.getAllByTestId('audit-entry')).toHaveLength(5));
    await waitFor(() => expect(within(row('dev')).getByText('Synced · Healthy')).toBeInTheDocument());
    const calls = [...api.calls].sort((a, b) => a.method.localeCompare(b.method));
    expect(calls).toEqual([
      { method: 'getAudit', query: { application: 'payments-api', limit: 5 } },
      { method: 'getStatus', query: { application: 'payments-api' } },
    ]);
    expect(screen.getAllByTestId('audit-entry')[0]).toHaveTextContent('2026-12-01 09:06 UTC');
  });

  it('says so when the application lists no environment, or has no audit entry', async () => {
    render(payments({ annotations: {}, links: [] }));
    expect(await screen.findByTestId('idp-no-environments')).toHaveTextContent(
      'payments-api lists no environment yet',
    );
    expect(await screen.findByTestId('idp-no-audit')).toHaveTextContent('No self-service action on payments-api yet.');
  });

  it('shows progress while the audit log loads', async () => {
    const api = new InMemoryIdpApi();
    api.hold.getAudit = true;
    render(payments(), api);
    expect(await screen.findByRole('progressbar')).toBeInTheDocument();
    expect(row('dev')).toHaveTextContent('1.4.2');
  });

  it('says what failed when the service cannot be read, and keeps the versions', async () => {
    const api = new InMemoryIdpApi();
    api.fail.getAudit = new Error('GET /api/v1/audit?application=payments-api&limit=5 answered HTTP 502: upstream down');
    render(payments(), api);
    expect(await screen.findByText('Error: Could not read the audit log of payments-api')).toBeInTheDocument();
    expect(screen.getByText(/answered HTTP 502: upstream down/)).toBeInTheDocument();
    expect(row('prod')).toHaveTextContent('1.3.0');
  });

  it('renders odd values as text: long, unicode, markup, many environments, javascript: links', async () => {
    const environments = Array.from({ length: 40 }, (_, i) => `env-${i}`);
    const annotations: Record<string, string> = {};
    environments.forEach((env, i) => (annotations[`idp/version.${env}`] = i === 3 ? '<img src=x onerror=alert(1)>' : `v${i}-ünïcødé-🚀`));
    annotations['idp/version.env-5'] = 'x'.repeat(5000);
    const api = new InMemoryIdpApi();
    api.entries = [auditEntry(1, { actor: 'user:default/<b>bob</b>', message: '<script>alert(1)</script>', pullRequestUrl: 'javascript:alert(1)' })];
    render(payments({
      description: 'd'.repeat(20000),
      annotations,
      links: [
        { url: 'javascript:alert(1)', title: 'Argo CD (env-1)' },
        { url: 'https://example.com/env-2', title: '<b>bold</b> env-2' },
      ],
    }), api);
    await screen.findByText('Deployments');
    expect(screen.getAllByTestId(/^idp-environment-/)).toHaveLength(40);
    expect(row('env-3')).toHaveTextContent('<img src=x onerror=alert(1)>');
    expect(row('env-0')).toHaveTextContent('v0-ünïcødé-🚀');
    expect(row('env-5')).toHaveTextContent('x'.repeat(5000));
    expect(document.querySelector('img[src="x"]')).toBeNull();
    expect(within(row('env-1')).queryByRole('link', { name: 'Argo CD (env-1)' })).toBeNull();
    expect(within(row('env-2')).getByRole('link', { name: /^<b>bold<\/b> env-2/ })).toBeInTheDocument();
    const entry = await screen.findByTestId('audit-entry');
    expect(entry).toHaveTextContent('user:default/<b>bob</b>');
    expect(entry.querySelector('b, script')).toBeNull();
    expect(within(entry).queryByRole('link')).toBeNull();
  });

  it("says in plain words which pod is unhealthy and why, beside Argo CD's sync and health", async () => {
    const api = new InMemoryIdpApi();
    api.statuses['payments-api'] = applicationStatus('payments-api', PAYMENTS_VERSIONS, {
      dev: {
        health: 'Degraded',
        pods: [
          { name: 'payments-api-7d9-abc', namespace: 'payments', health: 'Degraded', reason: 'CrashLoopBackOff',
            message: 'back-off 5m0s restarting failed container', restartCount: 12 },
          { name: 'payments-api-7d9-def', namespace: 'payments', health: 'Progressing', reason: null, message: null, restartCount: 1 },
        ],
      },
      prod: { sync: 'OutOfSync' },
    });
    render(payments(), api);
    const pods = await within(await findRow('dev')).findAllByTestId('idp-pod');
    expect(pods.map(pod => pod.textContent)).toEqual([
      'payments-api-7d9-abc is crash-looping (CrashLoopBackOff), restarted 12 times: back-off 5m0s restarting failed container',
      'payments-api-7d9-def is progressing, restarted once',
    ]);
    expect(within(row('dev')).getByText('Synced · Degraded')).toBeInTheDocument();
    expect(within(row('staging')).getByText('Synced · Healthy')).toBeInTheDocument();
    expect(within(row('prod')).getByText('OutOfSync · Healthy')).toBeInTheDocument();
    expect(within(row('staging')).queryByTestId('idp-pod')).toBeNull();
    expect(screen.queryByTestId('idp-argocd-note')).toBeNull();
  });

  it('without Argo CD configured, says so quietly and shows the versions in git', async () => {
    const api = new InMemoryIdpApi();
    api.statuses['payments-api'] = applicationStatus('payments-api', PAYMENTS_VERSIONS, {}, { state: 'not-configured', message: null });
    render(payments(), api);
    expect(await screen.findByTestId('idp-argocd-note')).toHaveTextContent(
      'Argo CD is not configured on the IDP catalog service: the versions are those in git.',
    );
    expect(row('dev')).toHaveTextContent('1.4.2');
    expect(row('prod')).toHaveTextContent('1.3.0');
    expect(within(row('dev')).queryByText(/Synced|Healthy/)).toBeNull();
    expect(screen.queryByRole('alert')).toBeNull();
    expect(within(row('dev')).getByRole('button', { name: 'Restart in dev' })).toBeInTheDocument();
  });

  it('with Argo CD unavailable, says so quietly with its message and shows the versions in git', async () => {
    const api = new InMemoryIdpApi();
    api.statuses['payments-api'] = applicationStatus('payments-api', PAYMENTS_VERSIONS, {}, {
      state: 'unavailable',
      message: 'timed out after 10 s',
    });
    render(payments(), api);
    expect(await screen.findByTestId('idp-argocd-note')).toHaveTextContent(
      'Argo CD did not answer (timed out after 10 s): the versions are those in git.',
    );
    expect(row('staging')).toHaveTextContent('1.4.1');
    expect(within(row('staging')).queryByText(/Synced|Healthy/)).toBeNull();
  });

  it('opens the restart-application template pre-filled, next to Promote, in every deployed environment', async () => {
    render(payments({ annotations: { 'idp/version.dev': '1.4.2', 'idp/version.prod': '1.3.0' } }), undefined, {
      environments: ['dev', 'staging', 'prod'],
    });
    const restart = await within(await findRow('dev')).findByRole('button', { name: 'Restart in dev' });
    expect(restart).toHaveTextContent('Restart');
    const url = new URL(restart.getAttribute('href')!, 'http://backstage');
    expect(url.pathname).toBe('/create/templates/default/idp-restart-application');
    expect(JSON.parse(url.searchParams.get('formData')!)).toEqual({
      application: 'component:default/payments-api',
      environment: 'dev',
    });
    // Beside Promote, in the same cell.
    const promote = within(row('dev')).getByRole('button', { name: /^Promote 1.4.2 from dev/ });
    expect(promote.closest('td')).toBe(restart.closest('td'));
    expect(within(row('prod')).getByRole('button', { name: 'Restart in prod' })).toBeInTheDocument();
    expect(within(row('staging')).queryByRole('button', { name: /Restart/ })).toBeNull();
  });

  it('takes the restart template path from idp.restartTemplatePath', async () => {
    render(payments(), undefined, { restartTemplatePath: '/scaffold/templates/ops/restart' });
    const restart = await within(await findRow('staging')).findByRole('button', { name: 'Restart in staging' });
    expect(restart.getAttribute('href')).toMatch(/^\/scaffold\/templates\/ops\/restart\?formData=/);
  });

  it('lists the live database copies with their expiry, in and at', async () => {
    const inFiveHours = new Date(Math.ceil((Date.now() + 5 * 3_600_000) / 60_000) * 60_000).toISOString().replace('.000Z', 'Z');
    const inForty = new Date(Date.now() + 40 * 60_000 + 20_000).toISOString();
    const api = new InMemoryIdpApi();
    api.statuses['payments-api'] = applicationStatus('payments-api', PAYMENTS_VERSIONS, {
      staging: { copies: [{ component: 'orders-db', from: 'prod', expiresAt: inFiveHours }] },
      dev: { copies: [{ component: 'db', from: 'staging', expiresAt: inForty }] },
    });
    render(payments(), api);
    await waitFor(() => expect(screen.getAllByTestId('idp-copy')).toHaveLength(2));
    expect(screen.getAllByTestId('idp-copy').map(copy => copy.textContent)).toEqual([
      `In dev: db copy from staging, expires in 40 min (${formatTime(inForty)})`,
      `In staging: orders-db copy from prod, expires in 5 h (${formatTime(inFiveHours)})`,
    ]);
    expect(formatTime(inFiveHours)).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d UTC$/);
  });

  it('lists no copies section when there is none', async () => {
    const api = new InMemoryIdpApi();
    api.statuses['payments-api'] = applicationStatus('payments-api', PAYMENTS_VERSIONS);
    render(payments(), api);
    await waitFor(() => expect(within(row('dev')).getByText('Synced · Healthy')).toBeInTheDocument());
    expect(screen.queryByText('Database copies')).toBeNull();
  });

  it('when the status request fails, says so and keeps the versions, the buttons and the audit entries', async () => {
    const api = new InMemoryIdpApi();
    api.entries = [auditEntry(1)];
    api.fail.getStatus = new Error('GET /api/v1/applications/payments-api/status answered HTTP 502: upstream down');
    render(payments(), api);
    expect(await screen.findByText(/Could not read the status of payments-api: the versions are those in git/)).toBeInTheDocument();
    expect(screen.getByText(/status answered HTTP 502: upstream down/)).toBeInTheDocument();
    expect(row('dev')).toHaveTextContent('1.4.2');
    expect(within(row('dev')).getByRole('button', { name: 'Restart in dev' })).toBeInTheDocument();
    expect(within(row('dev')).getByRole('button', { name: /^Promote/ })).toBeInTheDocument();
    expect(await screen.findByTestId('audit-entry')).toBeInTheDocument();
  });

  it('shows the versions at once while the status is still on its way (a slow Argo CD)', async () => {
    const api = new InMemoryIdpApi();
    api.hold.getStatus = true;
    render(payments(), api);
    expect(await within(await findRow('dev')).findByText('asking…')).toBeInTheDocument();
    expect(row('dev')).toHaveTextContent('1.4.2');
    expect(await screen.findByTestId('idp-no-audit')).toBeInTheDocument();
  });

  it('is on service, vendor and etl Components only', async () => {
    render(payments({}, 'etl'));
    expect(await screen.findByText('Deployments')).toBeInTheDocument();
    cleanup();
    render(payments({}, 'website'));
    expect(await screen.findByRole('navigation')).toBeInTheDocument();
    await act(() => new Promise(resolve => setTimeout(resolve, 0)));
    expect(screen.queryByText('Deployments')).toBeNull();
  });
});
