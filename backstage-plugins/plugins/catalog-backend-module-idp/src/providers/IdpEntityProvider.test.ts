import assert from 'node:assert/strict';
import { after, beforeEach, describe, it } from 'node:test';
import type { LoggerService, SchedulerServiceTaskRunner } from '@backstage/backend-plugin-api';
import type { EntityProviderConnection, EntityProviderMutation } from '@backstage/plugin-catalog-node';
import { DEFAULT_TIMEOUT_MS } from './config';
import { IdpEntityProvider } from './IdpEntityProvider';
import { component, serviceLike, startTestServer, type TestServer } from './testServer';

const HOUR = 60 * 60 * 1000;

/** A logger that keeps the warnings, so a test can check that a failure says why. */
function keepingLogger(warnings: string[]): LoggerService {
  const logger: LoggerService = {
    error: () => {},
    warn: message => void warnings.push(message),
    info: () => {},
    debug: () => {},
    child: () => logger,
  };
  return logger;
}

describe('IdpEntityProvider', () => {
  const serverPromise = startTestServer();
  let server: TestServer;
  let mutations: EntityProviderMutation[];
  let warnings: string[];
  let clock: number;
  let provider: IdpEntityProvider;
  let scheduledReads: number;

  after(async () => {
    await (await serverPromise).close();
  });

  beforeEach(async () => {
    server = await serverPromise;
    mutations = [];
    warnings = [];
    clock = 0;
    scheduledReads = 0;
    // Runs the task once at connect, as the scheduler's first run would.
    const taskRunner: SchedulerServiceTaskRunner = {
      run: async ({ fn }) => {
        scheduledReads += 1;
        await fn(new AbortController().signal);
      },
    };
    provider = new IdpEntityProvider({
      config: {
        id: 'unit',
        baseUrl: server.baseUrl,
        token: 'unit-test-token-0123456789',
        schedule: { frequency: { minutes: 1 }, timeout: { minutes: 1 } },
        fullEveryMs: HOUR,
        timeoutMs: DEFAULT_TIMEOUT_MS,
      },
      logger: keepingLogger(warnings),
      taskRunner,
      now: () => clock,
    });
  });

  async function connect(): Promise<void> {
    const connection: EntityProviderConnection = {
      applyMutation: async mutation => void mutations.push(mutation),
      refresh: async () => {},
    };
    await provider.connect(connection);
  }

  it('is named idp:<id> and reads nothing before it is connected', async () => {
    assert.equal(provider.getProviderName(), 'idp:unit');
    const requests = server.requests.length;
    assert.deepEqual(await provider.refresh(), { status: 'not-connected' });
    assert.equal(server.requests.length, requests);
  });

  it('applies a full mutation at start, each entity keyed to the provider', async () => {
    server.answer = serviceLike([component('a'), component('b')], 'r1');
    await connect();
    assert.equal(scheduledReads, 1);
    assert.equal(mutations.length, 1);
    const [full] = mutations;
    assert.equal(full.type, 'full');
    assert.deepEqual(full.type === 'full' && full.entities.map(e => [e.entity.metadata.name, e.locationKey]), [
      ['a', 'idp:unit'],
      ['b', 'idp:unit'],
    ]);
    assert.equal(server.requests.at(-1)?.authorization, 'Bearer unit-test-token-0123456789');
  });

  it('applies nothing on a 304', async () => {
    server.answer = serviceLike([component('a')], 'r1');
    await connect();
    assert.deepEqual(await provider.refresh(), { status: 'not-modified' });
    assert.equal(server.requests.at(-1)?.['if-none-match'], '"r1"');
    assert.equal(mutations.length, 1);
  });

  it('applies only what changed as a delta, and removals by ref', async () => {
    server.answer = serviceLike([component('a'), component('b'), component('c')], 'r1');
    await connect();
    server.answer = serviceLike([component('a'), component('b', 'b changed'), component('d')], 'r2');
    const outcome = await provider.refresh();
    assert.deepEqual(outcome, { status: 'applied', type: 'delta', added: 2, removed: 1, revision: 'r2' });
    const delta = mutations[1];
    assert.equal(delta.type, 'delta');
    if (delta.type === 'delta') {
      assert.deepEqual(delta.added.map(e => e.entity.metadata.name), ['b', 'd']);
      assert.deepEqual(delta.removed, [{ entityRef: 'component:default/c', locationKey: 'idp:unit' }]);
    }
  });

  it('applies nothing when a new revision changes no entity', async () => {
    server.answer = serviceLike([component('a')], 'r1');
    await connect();
    server.answer = serviceLike([component('a')], 'r2');
    assert.deepEqual(await provider.refresh(), { status: 'unchanged', revision: 'r2' });
    assert.equal(mutations.length, 1);
    assert.deepEqual(await provider.refresh(), { status: 'not-modified' }, 'the new ETag was kept');
  });

  it('heals drift with a full mutation once fullEvery has passed, even on a 304', async () => {
    server.answer = serviceLike([component('a')], 'r1');
    await connect();
    clock = HOUR - 1;
    assert.deepEqual(await provider.refresh(), { status: 'not-modified' });
    clock = HOUR;
    assert.equal((await provider.refresh()).status, 'applied');
    assert.equal(mutations.at(-1)?.type, 'full');
    server.answer = serviceLike([component('a'), component('b')], 'r2');
    clock = HOUR + 1;
    assert.equal((await provider.refresh()).status, 'applied');
    assert.equal(mutations.at(-1)?.type, 'delta', 'the hour counts from the last full mutation');
  });

  it('applies nothing and says why on a 5xx, an invalid body or an empty body, then recovers', async () => {
    server.answer = serviceLike([component('a')], 'r1');
    await connect();
    const failing = [
      { status: 500, body: 'boom' },
      { status: 200, body: 'not json' },
      { status: 200, body: JSON.stringify({ items: [], revision: 'r9' }) },
    ];
    for (const answer of failing) {
      server.answer = answer;
      const outcome = await provider.refresh();
      assert.equal(outcome.status, 'failed');
    }
    assert.equal(mutations.length, 1);
    assert.equal(warnings.length, 3);
    assert.match(warnings[0], /idp:unit: applied nothing, the catalog keeps what it has: .*HTTP 500: boom/);
    assert.match(warnings[2], /answered no entities \(revision r9\); applying that would empty the catalog/);
    server.answer = serviceLike([component('a', 'new')], 'r3');
    assert.equal((await provider.refresh()).status, 'applied');
    assert.equal(mutations.at(-1)?.type, 'delta');
  });

  it('never applies an empty first read: the catalog may hold the last run\'s entities', async () => {
    server.answer = serviceLike([], 'r0');
    await connect();
    assert.equal(mutations.length, 0);
    assert.match(warnings[0], /would empty the catalog/);
  });

  it('reads one at a time: calls during a read wait for it and share one more read', async () => {
    server.answer = serviceLike([component('a')], 'r1');
    await connect();
    const requests = server.requests.length;
    const outcomes = await Promise.all([provider.refresh(), provider.refresh(), provider.refresh()]);
    assert.equal(server.requests.length - requests, 2);
    assert.deepEqual(outcomes.map(o => o.status), ['not-modified', 'not-modified', 'not-modified']);
  });

  it('keeps the last applied state when the catalog refuses a mutation', async () => {
    server.answer = serviceLike([component('a')], 'r1');
    let refuse = false;
    await provider.connect({
      applyMutation: async mutation => {
        if (refuse) {
          throw new Error('database is locked');
        }
        mutations.push(mutation);
      },
      refresh: async () => {},
    });
    refuse = true;
    server.answer = serviceLike([component('a', 'changed')], 'r2');
    const outcome = await provider.refresh();
    assert.deepEqual(outcome, { status: 'failed', reason: 'could not apply the mutation: database is locked' });
    refuse = false;
    assert.equal((await provider.refresh()).status, 'applied', 'the next read is not a 304');
  });
});
