import { describe, expect, it } from '@jest/globals';
import { act, cleanup, screen, waitFor, within } from '@testing-library/react';
import { renderTestApp } from '@backstage/frontend-test-utils';
import { createTestEntityPage } from '@backstage/plugin-catalog-react/testUtils';
import type { Entity } from '@backstage/catalog-model';
import { idpApiRef } from '../api/ref';
import { idpPlugin } from '../plugin';
import { auditEntry, InMemoryIdpApi } from '../testing/InMemoryIdpApi';

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

  it('asks the service once, for the last five entries of this application, and lists them', async () => {
    const api = new InMemoryIdpApi();
    api.entries = [
      ...Array.from({ length: 7 }, (_, minute) => auditEntry(minute)),
      auditEntry(30, { inputs: { application: 'ledger-api', from: 'dev' } }),
    ];
    render(payments(), api);
    await waitFor(() => expect(screen.getAllByTestId('audit-entry')).toHaveLength(5));
    expect(api.calls).toEqual([{ method: 'getAudit', query: { application: 'payments-api', limit: 5 } }]);
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
