// The idp entity provider in a real Backstage catalog, reading the real catalog service on a
// GitOps repository of the test's own: on the events the service itself posts to Backstage's
// events endpoint (`backstage.eventsUrl`, with its token), then on its schedule alone.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import {
  ANNOTATION_LOCATION,
  ANNOTATION_ORIGIN_LOCATION,
  type Entity,
  RELATION_OWNED_BY,
  RELATION_PART_OF,
} from '@backstage/catalog-model';
import { eventually } from './support/eventually';
import { freePort } from './support/freePort';
import { type GitopsService, startGitopsService } from './support/gitopsService';
import { type ProviderBackend, PROVIDER_ID, startProviderBackend } from './support/providerBackend';
import { refOf, relationTargets, resolveRef } from './support/entityRefs';
import { fetchServiceEntities } from './support/serviceEntities';

const APPEAR_TIMEOUT_MS = 30_000;

const NEW_APPLICATION = `apiVersion: idp/v1alpha1
kind: Application
metadata:
  name: refund-worker
  system: payments
  owner: team-payments
  description: Pays refunds out
spec:
  type: service
  source: {repository: acme/refund-worker}
  image: registry.acme.example/refund-worker
  components:
    - {name: queue, type: queue}
  environments:
    dev: {version: "0.1.0"}
`;

// The service's `backstage.token`; Backstage's events endpoint takes only posts carrying it.
const EVENTS_TOKEN = 'backstage-events-token-0123456789';

let service: GitopsService | undefined;
// Backstage with the counted provider and the events backend; it reads only once an hour, so
// whatever shows within the test came through an event.
let events: ProviderBackend | undefined;

before(async () => {
  // Backstage first: the service must know its events URL when it starts, and Backstage's test
  // backend picks its own port. The provider is told the service's port before anything listens.
  const servicePort = await freePort();
  events = await startProviderBackend({
    baseUrl: `http://127.0.0.1:${servicePort}`,
    schedule: { frequency: { hours: 1 } },
    counted: true,
    eventsToken: EVENTS_TOKEN,
  });
  service = await startGitopsService({
    port: servicePort,
    config: { backstage: { eventsUrl: events.eventsUrl, token: EVENTS_TOKEN } },
  });
});

after(async () => {
  await service?.stop();
  await events?.stop();
});

function theBackend(): ProviderBackend {
  assert.ok(events?.provider, 'the Backstage backend did not start');
  return events;
}

function theService(): GitopsService {
  assert.ok(service, 'the catalog service did not start');
  return service;
}

/** Retries `check` against the catalog's entities (keyed by lowercase ref) until it holds. */
async function eventuallyInCatalog(
  backend: ProviderBackend | undefined,
  check: (catalog: Map<string, Entity>) => void,
  timeoutMs = APPEAR_TIMEOUT_MS,
): Promise<Map<string, Entity>> {
  return eventually(
    async () => {
      assert.ok(backend, 'the Backstage backend did not start');
      assert.deepEqual(backend.processingErrors, [], 'the catalog reported processing errors');
      const catalog = new Map((await backend.readEntities()).map(entity => [refOf(entity), entity]));
      check(catalog);
      return catalog;
    },
    { timeoutMs },
  );
}

/** Changes the description of one Application in a manifest file (and commits it). */
function changeDescription(file: string, from: string, to: string): void {
  const current = readFileSync(`${theService().repository}/${file}`, 'utf8');
  assert.ok(current.includes(`description: ${from}`), `${file} has no description "${from}"`);
  theService().commit(file, current.replace(`description: ${from}`, `description: ${to}`));
}

describe('the idp provider on the events the service posts', () => {
  let served: Entity[] = [];

  before(async () => {
    served = await fetchServiceEntities(theService().baseUrl);
  });

  it('brings every entity with its relations and its manifest location, in one full mutation', async () => {
    // The provider's read at start found nothing listening; the service's first snapshot posted
    // the event that brought everything.
    const catalog = await eventuallyInCatalog(events, current => {
      assert.deepEqual(served.map(refOf).filter(ref => !current.has(ref)), [], 'entities missing');
      for (const entity of served.filter(e => e.kind !== 'System')) {
        const stored = current.get(refOf(entity));
        const spec = entity.spec as { owner: string; system: string };
        const context = { defaultNamespace: 'default' };
        assert.deepEqual(relationTargets(stored!, RELATION_OWNED_BY), [resolveRef(spec.owner, { ...context, defaultKind: 'Group' })]);
        assert.deepEqual(relationTargets(stored!, RELATION_PART_OF), [resolveRef(spec.system, { ...context, defaultKind: 'System' })]);
      }
    });
    const extra = [...catalog.keys()].filter(ref => !served.some(entity => refOf(entity) === ref));
    assert.deepEqual(extra, [], 'the catalog holds entities the service does not serve');
    for (const entity of served) {
      const annotations = catalog.get(refOf(entity))!.metadata.annotations ?? {};
      for (const key of [ANNOTATION_LOCATION, ANNOTATION_ORIGIN_LOCATION]) {
        assert.ok(entity.metadata.annotations?.[key], `${refOf(entity)}: the service sent no ${key}`);
        assert.equal(annotations[key], entity.metadata.annotations?.[key], `${refOf(entity)}: ${key}`);
      }
    }
    const { mutations } = theBackend();
    assert.equal(mutations.length, 1, 'one mutation at start');
    assert.equal(mutations[0].type, 'full');
  });

  it('applies nothing when the service answers 304 Not Modified', async () => {
    const { mutations, provider } = theBackend();
    const notModified = () => (theService().output().match(/ GET \/api\/v1\/entities 304 /g) ?? []).length;
    const before304 = notModified();
    const beforeMutations = mutations.length;
    // The service posts nothing when nothing changed: this event is the test's (anyone may post).
    await theBackend().publishEvent({ reason: 'nothing changed' });
    await eventually(async () => assert.ok(notModified() > before304, 'the event led to no read'), { timeoutMs: 10_000 });
    assert.deepEqual(await provider!.refresh(), { status: 'not-modified' });
    assert.equal(mutations.length, beforeMutations, 'a 304 applied a mutation');
  });

  it('shows a git change once the service posts its event, as one delta of what changed', async () => {
    const { mutations } = theBackend();
    const beforeMutations = mutations.length;
    changeDescription('apps/payments/ledger.yaml', 'Double-entry ledger; the source of truth for balances', 'The ledger, changed');
    theService().commit('apps/payments/refund-worker.yaml', NEW_APPLICATION);
    // The refresh applies the commit; the service then posts the event itself.
    assert.equal((await theService().refresh()).status, 'applied');
    await eventuallyInCatalog(events, catalog => {
      assert.equal(catalog.get('component:default/ledger-api')?.metadata.description, 'The ledger, changed');
      assert.ok(catalog.has('component:default/refund-worker'), 'refund-worker is missing');
      assert.ok(catalog.has('resource:default/refund-worker-queue'), 'refund-worker-queue is missing');
    });
    const applied = mutations.slice(beforeMutations);
    assert.equal(applied.length, 1, 'one mutation for one event');
    const delta = applied[0];
    assert.equal(delta.type, 'delta');
    if (delta.type === 'delta') {
      const added = delta.added.map(deferred => refOf(deferred.entity)).sort();
      assert.ok(added.includes('component:default/ledger-api'));
      assert.ok(added.includes('component:default/refund-worker'));
      assert.ok(added.length < served.length / 2, `the delta re-sent ${added.length} entities: ${added.join(', ')}`);
      assert.ok(delta.added.every(deferred => deferred.locationKey === `idp:${PROVIDER_ID}`));
      assert.deepEqual(delta.removed, []);
    }
  });

  it('removes a deleted manifest\'s entities by ref', async () => {
    const { mutations } = theBackend();
    const beforeMutations = mutations.length;
    theService().commit('apps/payments/refund-worker.yaml', null);
    assert.equal((await theService().refresh()).status, 'applied');
    await eventuallyInCatalog(events, catalog => {
      assert.ok(!catalog.has('component:default/refund-worker'), 'refund-worker is still there');
      assert.ok(!catalog.has('resource:default/refund-worker-queue'), 'refund-worker-queue is still there');
    });
    const applied = mutations.slice(beforeMutations);
    assert.equal(applied.length, 1);
    assert.equal(applied[0].type, 'delta');
    if (applied[0].type === 'delta') {
      const removed = applied[0].removed.map(item => ('entityRef' in item ? item.entityRef : refOf(item.entity))).sort();
      assert.deepEqual(removed, ['component:default/refund-worker', 'resource:default/refund-worker-queue']);
    }
  });
});

describe('the idp provider on its schedule alone (no events)', () => {
  let backend: ProviderBackend | undefined;

  before(async () => {
    backend = await startProviderBackend({
      baseUrl: theService().baseUrl,
      schedule: { frequency: { seconds: 2 } },
      counted: false,
    });
  });

  after(async () => {
    await backend?.stop();
  });

  it('shows a git change after the next scheduled read', async () => {
    const served = await fetchServiceEntities(theService().baseUrl);
    await eventuallyInCatalog(backend, catalog => {
      assert.deepEqual(served.map(refOf).filter(ref => !catalog.has(ref)), [], 'entities missing');
    });
    changeDescription('apps/storefront/web.yaml', 'Customer-facing web shop (Next.js, server-side rendered)', 'The shop, as scheduled');
    assert.equal((await theService().refresh()).status, 'applied');
    await eventuallyInCatalog(backend, catalog => {
      const web = catalog.get('component:default/storefront-web');
      assert.equal(web?.metadata.description, 'The shop, as scheduled');
    });
  });
});

describe('the events endpoint and a stopped service', () => {
  it('refuses an event without the token', async () => {
    const response = await fetch(theBackend().eventsUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ reason: 'no token' }),
      signal: AbortSignal.timeout(10_000),
    });
    assert.equal(response.status, 401, await response.text());
  });

  it('keeps everything in the catalog while the service is down', async () => {
    const { mutations, provider } = theBackend();
    const before = (await theBackend().readEntities()).map(refOf).sort();
    const beforeMutations = mutations.length;
    await theService().stop();
    // A stopped service posts nothing: the test does, as anything may.
    await theBackend().publishEvent({ reason: 'service gone' });
    const outcome = await provider!.refresh();
    assert.equal(outcome.status, 'failed');
    assert.match(outcome.status === 'failed' ? outcome.reason : '', /GET http:\/\/127\.0\.0\.1:\d+\/api\/v1\/entities failed/);
    assert.equal(mutations.length, beforeMutations, 'a failed read applied a mutation');
    assert.deepEqual((await theBackend().readEntities()).map(refOf).sort(), before);
  });
});
