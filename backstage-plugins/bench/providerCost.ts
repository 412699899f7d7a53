/**
 * The provider's own cost on a large catalog, without the catalog around it: one full read and
 * one delta read of a running service, timed, with the longest event-loop stall of each.
 *
 *   node --import tsx bench/providerCost.ts --service URL
 * (between the two reads, change one manifest and refresh the service; see ../../bench/backstage.py)
 */
import { mockServices } from '@backstage/backend-test-utils';
import type { EntityProviderMutation } from '@backstage/plugin-catalog-node';
import { IdpEntityProvider } from '../plugins/catalog-backend-module-idp/src';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { StallProbe } from './probes';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { service: { type: 'string' } } });
  const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  const mutations: EntityProviderMutation[] = [];
  const provider = new IdpEntityProvider({
    config: { id: 'cost', baseUrl: values.service!, schedule: { frequency: { hours: 1 }, timeout: { minutes: 1 } }, fullEveryMs: 3600_000, timeoutMs: 120_000 },
    logger: mockServices.rootLogger(),
    taskRunner: { run: async () => {} },
  });
  await provider.connect({ applyMutation: async m => { mutations.push(m); }, refresh: async () => {} });
  const stall = new StallProbe();
  for (const label of ['full', 'delta']) {
    if (label === 'delta') {
      process.stdout.write('change now\n');
      await lines.next();
    }
    stall.reset();
    const started = performance.now();
    const outcome = await provider.refresh();
    process.stdout.write(`${label}: ${(performance.now() - started).toFixed(0)} ms, stall ${(await stall.maxMs()).toFixed(0)} ms ${JSON.stringify(outcome)}\n`);
  }
  stall.stop();
}

main().then(() => process.exit(0), e => { console.error(e); process.exit(1); });
