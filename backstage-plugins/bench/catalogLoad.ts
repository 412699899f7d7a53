/**
 * One side of `python -m bench.backstage` (../../bench/backstage.py drives it): a real Backstage
 * catalog (startTestBackend, the real catalog plugin, default processing settings) reading the
 * catalog service either through our entity provider (with the events backend) or through a stock
 * `url` Location. It measures the full load, one manifest change and the event-loop stalls, and
 * talks to the driver in JSON lines prefixed `BENCH ` (stdout) and JSON lines on stdin.
 *
 *   node --import tsx bench/catalogLoad.ts --mode provider|url --service URL \
 *     --app app-00000 --description TEXT [--background 10] [--settle 10]
 */
import { schedulerServiceFactory } from '@backstage/backend-defaults/scheduler';
import eventsPlugin from '@backstage/plugin-events-backend';
import { eventsServiceFactory } from '@backstage/plugin-events-node';
import catalogModuleIdp from '../plugins/catalog-backend-module-idp/src';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { CATALOG_KINDS, type StartedCatalog, startCatalogWith } from '../test/support/catalogBackend';
import { entitiesOfApplication, ProcessingCounter, StallProbe } from './probes';

const LOAD_TIMEOUT_MS = 2 * 60 * 60 * 1000;
const CHANGE_TIMEOUT_MS = 15 * 60 * 1000;
const LOAD_POLL_MS = 1000;
const CHANGE_POLL_MS = 100;

type Mode = 'provider' | 'url';

function emit(event: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`BENCH ${JSON.stringify({ event, ...fields })}\n`);
}

function progress(message: string): void {
  process.stderr.write(`[catalogLoad] ${message}\n`);
}

async function startBackstage(mode: Mode, service: string, counter: ProcessingCounter): Promise<StartedCatalog> {
  const rules = [{ allow: CATALOG_KINDS }];
  if (mode === 'url') {
    // Exactly the conformance test's set-up (test/support/catalogBackend.ts), plus the counter.
    return startCatalogWith([counter.module(), schedulerServiceFactory], {
      backend: { reading: { allow: [{ host: new URL(service).host }] } },
      catalog: { rules, locations: [{ type: 'url', target: `${service}/api/v1/entities.yaml` }] },
    });
  }
  // The package's module as a Backstage installs it, the events backend's HTTP ingress, and the
  // real events service (startTestBackend's own is one mock per plugin: events would not arrive).
  return startCatalogWith(
    [counter.module(), catalogModuleIdp, eventsPlugin, eventsServiceFactory, schedulerServiceFactory],
    {
      catalog: {
        rules,
        providers: {
          idp: { bench: { baseUrl: service, schedule: { frequency: { minutes: 5 }, timeout: { minutes: 2 } } } },
        },
      },
      events: { http: { topics: ['idp.catalog'] }, useEventBus: 'never' },
    },
  );
}

async function getJson(url: string): Promise<{ status: number; body: unknown }> {
  // While the catalog's event loop is blocked its API answers late, and a kept-alive socket may
  // be closed under a request ("fetch failed"): the same poll again, a few times, is what a
  // client would do.
  for (let attempt = 1; ; attempt += 1) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(120_000) });
      const text = await response.text();
      return { status: response.status, body: response.status === 200 ? JSON.parse(text) : text };
    } catch (error) {
      if (attempt >= 5) {
        throw error;
      }
      progress(`GET ${url} failed (${(error as Error).message}); again`);
      await sleep(1000);
    }
  }
}

/** Entities of the service's kinds the catalog serves (processed and stitched). */
async function servedCount(catalogApi: string): Promise<number> {
  const filters = ['component', 'resource', 'system'].map(kind => `filter=kind=${kind}`).join('&');
  const { status, body } = await getJson(`${catalogApi}/entities/by-query?limit=1&${filters}`);
  if (status !== 200) {
    throw new Error(`by-query answered ${status}: ${String(body).slice(0, 300)}`);
  }
  return (body as { totalItems: number }).totalItems;
}

/** Waits for the service's `/readyz` 200; answers the number of entities it serves. */
async function waitForServiceReady(service: string): Promise<number> {
  const deadline = Date.now() + 10 * 60 * 1000;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${service}/readyz`, { signal: AbortSignal.timeout(2000) });
      if (response.status === 200) {
        return ((await response.json()) as { entities: number }).entities;
      }
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`${service}/readyz never answered 200`);
}

async function waitForFullLoad(catalogApi: string, expect: number, startedAt: number): Promise<number> {
  let lastReport = 0;
  for (;;) {
    const count = await servedCount(catalogApi);
    const elapsed = performance.now() - startedAt;
    if (count >= expect) {
      return elapsed;
    }
    if (elapsed > LOAD_TIMEOUT_MS) {
      throw new Error(`only ${count} of ${expect} entities after ${Math.round(elapsed / 1000)} s`);
    }
    if (elapsed - lastReport >= 30_000) {
      lastReport = elapsed;
      progress(`${count}/${expect} entities after ${Math.round(elapsed / 1000)} s`);
    }
    await sleep(LOAD_POLL_MS);
  }
}

/** Polls the entity until its description is `description`; answers `Date.now()` then. */
async function waitForDescription(catalogApi: string, name: string, description: string): Promise<number> {
  const deadline = Date.now() + CHANGE_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const { status, body } = await getJson(`${catalogApi}/entities/by-name/component/default/${name}`);
    if (status === 200 && (body as { metadata: { description?: string } }).metadata.description === description) {
      return Date.now();
    }
    await sleep(CHANGE_POLL_MS);
  }
  throw new Error(`component:default/${name} never showed the description "${description}"`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      mode: { type: 'string' },
      service: { type: 'string' },
      app: { type: 'string', default: 'app-00000' },
      description: { type: 'string' },
      background: { type: 'string', default: '10' },
      settle: { type: 'string', default: '10' },
    },
  });
  const mode = values.mode as Mode;
  if ((mode !== 'provider' && mode !== 'url') || !values.service || !values.description) {
    throw new Error('usage: --mode provider|url --service URL --description TEXT');
  }
  const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  const stall = new StallProbe();
  const counter = new ProcessingCounter(entitiesOfApplication(values.app));

  let startedAt = performance.now();
  const catalog = await startBackstage(mode, values.service, counter);
  const catalogApi = `http://127.0.0.1:${catalog.port}/api/catalog`;
  stall.reset(); // the load's stalls, not the backend's start-up (module loading, migrations)
  emit('started', { port: catalog.port });
  try {
    // For the provider, the driver starts the service only now (its events URL needs this
    // port): the load starts when the service answers, as the url Location's starts with Backstage.
    const expect = await waitForServiceReady(values.service);
    if (mode === 'provider') {
      startedAt = performance.now();
    }
    const loadMs = await waitForFullLoad(catalogApi, expect, startedAt);
    const loadStallMs = await stall.maxMs();
    const loadRssKb = process.resourceUsage().maxRSS;
    emit('loaded', { seconds: loadMs / 1000 });

    // The catalog keeps re-processing everything on its own (every 100-150 s per entity):
    // this is the rate the change's window is compared with.
    const idle = counter.snapshot();
    stall.reset();
    await sleep(Number(values.background) * 1000);
    const beforeChange = counter.snapshot();
    const idleStallMs = await stall.maxMs(); // what the catalog's own background work costs
    const backgroundPerSecond = (beforeChange.total - idle.total) / Number(values.background);

    stall.reset();
    emit('change-now');
    const visible = waitForDescription(catalogApi, values.app, values.description);
    const pushed = await lines.next();
    const pushedAt = (JSON.parse(String(pushed.value)) as { pushedAt: number }).pushedAt;
    const visibleAt = await visible;
    const atVisible = counter.snapshot();
    await sleep(Number(values.settle) * 1000);
    const afterSettle = counter.snapshot();
    emit('result', {
      mode,
      entities: await servedCount(catalogApi),
      loadSeconds: loadMs / 1000,
      loadStallMs,
      loadRssMb: loadRssKb / 1024,
      visibleSeconds: (visibleAt - pushedAt) / 1000,
      watchedRuns: afterSettle.watched - beforeChange.watched,
      windowRuns: afterSettle.total - beforeChange.total,
      windowSeconds: (Date.now() - pushedAt) / 1000,
      runsUntilVisible: atVisible.total - beforeChange.total,
      backgroundPerSecond,
      changeStallMs: await stall.maxMs(),
      idleStallMs,
      peakRssMb: process.resourceUsage().maxRSS / 1024,
      processingErrors: catalog.processingErrors.length,
    });
  } finally {
    stall.stop();
    await catalog.stop();
  }
}

main().then(
  () => process.exit(0),
  error => {
    progress(`failed: ${(error as Error).stack ?? error}`);
    process.exit(1);
  },
);
