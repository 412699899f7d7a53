// The frontend plugin's client (plugins/idp/src/api/IdpClient.ts) against the real catalog
// service, through the real Backstage proxy (`proxy.endpoints./idp`), with a user's Backstage
// token as the app's fetchApi sends it: the audit log and its filters, the adoption figures, the
// problems, an application's status, and the errors a developer can meet (not signed in, proxy not
// configured, bad filter, an application the service does not know).
import { mockCredentials } from '@backstage/backend-test-utils';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { IdpClient, IdpRequestError } from '../plugins/idp/src/api/IdpClient';
import { type ActionsService, startActionsService } from './support/actionsService';
import { type ProxyBackend, startProxyBackend } from './support/proxyBackend';

let service: ActionsService | undefined;
let proxy: ProxyBackend | undefined;

before(async () => {
  service = await startActionsService();
  proxy = await startProxyBackend(service.baseUrl);
  // Three calls for the audit log: two about payments-api, one creating another application.
  const post = async (action: string, body: object) => {
    const response = await fetch(`${service!.baseUrl}/api/v1/actions/${action}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${service!.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ dryRun: true, ...body }),
    });
    assert.ok(response.status < 500, await response.text());
  };
  await post('promote-image', { application: 'payments-api', from: 'dev', requestedBy: 'user:default/alice' });
  await post('create-application', {
    name: 'shop-ui', system: 'shop', owner: 'team-shop', type: 'service', image: 'registry.example.com/shop-ui',
    sourceRepository: 'acme/shop-ui', requestedBy: 'user:default/bob',
  });
  await post('promote-image', { application: 'payments-api', from: 'staging', requestedBy: 'user:default/bob' });
});
after(async () => {
  await proxy?.stop();
  await service?.stop();
});

function client(options: { signedIn?: boolean; proxyPath?: string } = {}): IdpClient {
  const proxyBaseUrl = proxy!.proxyBaseUrl;
  return new IdpClient({
    discoveryApi: { getBaseUrl: async pluginId => (assert.equal(pluginId, 'proxy'), proxyBaseUrl) },
    fetchApi: {
      // What the app's fetchApi does: the signed-in user's Backstage token, never the service's.
      fetch: (input, init) =>
        fetch(input, {
          ...init,
          headers: { ...(init?.headers as object), ...(options.signedIn === false ? {} : { Authorization: mockCredentials.user.header() }) },
        }),
    },
    proxyPath: options.proxyPath,
  });
}

describe('IdpClient through the Backstage proxy', () => {
  it('reads the audit log of one application, newest first, as the card asks for it', async () => {
    const page = await client().getAudit({ application: 'payments-api', limit: 5 });
    assert.deepEqual(page.items.map(entry => [entry.actor, entry.inputs.from]), [
      ['user:default/bob', 'staging'],
      ['user:default/alice', 'dev'],
    ]);
    assert.ok(page.items.every(entry => entry.dryRun && entry.action === 'promote-image'));
    assert.equal(page.nextCursor, null);
    const created = await client().getAudit({ application: 'shop-ui' });
    assert.deepEqual(created.items.map(entry => entry.action), ['create-application']);
  });

  it('filters by action, actor and time, and pages with the cursor the service hands out', async () => {
    const idp = client();
    assert.equal((await idp.getAudit({ actor: 'user:default/bob' })).items.length, 2);
    assert.equal((await idp.getAudit({ action: 'create-application' })).items.length, 1);
    const first = await idp.getAudit({ limit: 2 });
    assert.equal(first.items.length, 2);
    assert.ok(first.nextCursor);
    const second = await idp.getAudit({ limit: 2, cursor: first.nextCursor });
    assert.equal(second.items.length, 1);
    assert.equal(second.nextCursor, null);
    const oldest = second.items[0];
    const since = await idp.getAudit({ since: oldest.time });
    assert.equal(since.items.length, 3);
    assert.equal((await idp.getAudit({ until: oldest.time })).items.length, 0);
  });

  it('reads the adoption figures and the problems', async () => {
    const adoption = await client().getAdoption({ bucket: 'week' });
    assert.equal(adoption.bucket, 'week');
    assert.ok(adoption.manifests.length > 0);
    assert.ok(adoption.manifests.at(-1)!.total > 0, JSON.stringify(adoption.manifests.at(-1)));
    // The endpoint as written in app-config, with or without its slashes.
    assert.equal((await client({ proxyPath: 'idp/' }).getAdoption()).bucket, 'day');
    const problems = await client().getProblems();
    assert.ok(Array.isArray(problems.problems));
    for (const problem of problems.problems) {
      assert.equal(problem.text, `${problem.path}:${problem.line}:${problem.column}: ${problem.message}`);
    }
  });

  it("reads an application's status: git's versions in the configured order, and no Argo CD part without argocd", async () => {
    const status = await client().getStatus('payments-api');
    assert.equal(status.application, 'payments-api');
    assert.deepEqual(status.argocd.state, 'not-configured');
    assert.deepEqual(
      status.environments.map(e => [e.environment, e.version, e.sync, e.health]),
      [['dev', '2.14.0', null, null], ['staging', '2.14.0', null, null], ['prod', '2.13.2', null, null]],
    );
    assert.ok(status.environments.every(e => Array.isArray(e.pods) && Array.isArray(e.copies)));
    assert.ok(!Number.isNaN(Date.parse(status.observedAt)), status.observedAt);
  });

  it("an application the service does not know is the service's 404, without the proxy hint", async () => {
    await assert.rejects(client().getStatus('no-such-app'), (error: IdpRequestError) => {
      assert.equal(error.status, 404);
      assert.equal(error.code, 'not_found');
      assert.match(error.message, /^GET \/api\/v1\/applications\/no-such-app\/status answered HTTP 404: .*no-such-app/);
      assert.doesNotMatch(error.message, /proxy\.endpoints/);
      return true;
    });
  });

  it('says what failed: not signed in, no such proxy endpoint, a filter the service refuses', async () => {
    await assert.rejects(client({ signedIn: false }).getProblems(), (error: IdpRequestError) => {
      assert.equal(error.status, 401);
      assert.match(error.message, /^GET \/api\/v1\/problems answered HTTP 401.*\(not signed in to Backstage\?\)$/);
      return true;
    });
    await assert.rejects(client({ proxyPath: '/nothing-here' }).getAudit({}), (error: IdpRequestError) => {
      assert.equal(error.status, 404);
      assert.match(error.message, /proxy\.endpoints\.\/idp configured/);
      return true;
    });
    await assert.rejects(
      client().getAudit({ outcome: 'maybe' as never }),
      (error: IdpRequestError) => {
        assert.equal(error.status, 422);
        assert.match(error.message, /^GET \/api\/v1\/audit\?outcome=maybe answered HTTP 422: .*outcome/);
        return true;
      },
    );
  });
});
