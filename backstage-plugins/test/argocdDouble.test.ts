// The Argo CD double (support/argocdDouble.ts) answers as Argo CD's REST API does for the parts the
// catalog service uses: a wrong double would make the restart tests prove nothing.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type ArgoCdDouble, CRASHING_POD, startArgoCdDouble } from './support/argocdDouble';

let argocd: ArgoCdDouble;
before(async () => {
  argocd = await startArgoCdDouble();
});
after(async () => {
  await argocd?.stop();
});

async function call(path: string, init: RequestInit = {}, token = argocd.token): Promise<{ status: number; body: any }> {
  const response = await fetch(`${argocd.url}${path}`, {
    ...init,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', ...(init.headers as object) },
  });
  return { status: response.status, body: await response.json() };
}

describe('the Argo CD double', () => {
  it("answers an application's sync and health, and its resource tree with the crash-looping pod", async () => {
    const application = await call('/api/v1/applications/payments-api-dev');
    assert.equal(application.status, 200);
    assert.deepEqual(application.body.status, { sync: { status: 'Synced' }, health: { status: 'Degraded' } });
    const tree = await call('/api/v1/applications/payments-api-dev/resource-tree');
    const pod = tree.body.nodes.find((n: any) => n.kind === 'Pod' && n.name === CRASHING_POD.name);
    assert.deepEqual(pod.health, { status: 'Degraded', message: CRASHING_POD.message });
    const info = Object.fromEntries(pod.info.map((i: any) => [i.name, i.value]));
    assert.equal(info['Status Reason'], 'CrashLoopBackOff');
    assert.equal(info['Restart Count'], '12');
    assert.equal(pod.parentRefs[0].kind, 'ReplicaSet');
  });

  it('restarts a Deployment by either resource-action endpoint, and records it', async () => {
    const v2 = await call('/api/v1/applications/checkout-api-staging/resource/actions/v2', {
      method: 'POST',
      body: JSON.stringify({ namespace: 'storefront-workers', resourceName: 'checkout-api-worker', version: 'v1', group: 'apps', kind: 'Deployment', action: 'restart' }),
    });
    assert.deepEqual([v2.status, v2.body], [200, {}]);
    const query = new URLSearchParams({ namespace: 'storefront', resourceName: 'checkout-api', version: 'v1', group: 'apps', kind: 'Deployment' });
    const v1 = await call(`/api/v1/applications/checkout-api-staging/resource/actions?${query}`, { method: 'POST', body: '"restart"' });
    assert.deepEqual([v1.status, v1.body], [200, {}]);
    assert.deepEqual(argocd.restarts.map(r => [r.application, r.namespace, r.name, r.endpoint]), [
      ['checkout-api-staging', 'storefront-workers', 'checkout-api-worker', 'v2'],
      ['checkout-api-staging', 'storefront', 'checkout-api', 'v1'],
    ]);
  });

  it("answers grpc-gateway's errors: a wrong token, an unknown application, a resource not in the tree, a forced failure", async () => {
    const wrongToken = await call('/api/v1/applications/payments-api-dev', {}, 'not-the-token');
    assert.equal(wrongToken.status, 401);
    assert.equal(wrongToken.body.code, 16);
    const unknown = await call('/api/v1/applications/nope-dev/resource-tree');
    assert.deepEqual([unknown.status, unknown.body.message], [404, 'applications.argoproj.io "nope-dev" not found']);
    const notInTree = await call('/api/v1/applications/payments-api-dev/resource/actions/v2', {
      method: 'POST',
      body: JSON.stringify({ namespace: 'payments', resourceName: 'other', version: 'v1', group: 'apps', kind: 'Deployment', action: 'restart' }),
    });
    assert.equal(notInTree.status, 400);
    argocd.failing.set('payments-api-prod', { status: 403, message: 'permission denied' });
    const refused = await call('/api/v1/applications/payments-api-prod');
    assert.deepEqual([refused.status, refused.body.message, refused.body.code], [403, 'permission denied', 7]);
    argocd.failing.clear();
    assert.equal(argocd.restarts.length, 2, 'nothing restarted by refused calls');
  });

  it('drops every connection when down', async () => {
    argocd.down = true;
    try {
      await assert.rejects(fetch(`${argocd.url}/api/v1/applications/payments-api-dev`), /fetch failed/);
    } finally {
      argocd.down = false;
    }
    assert.equal((await call('/api/v1/applications/payments-api-dev')).status, 200);
  });
});
