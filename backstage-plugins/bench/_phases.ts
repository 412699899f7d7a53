import { setTimeout as sleep } from 'node:timers/promises';
import { hashEntities } from '../plugins/catalog-backend-module-idp/src/providers/entityHashes';
import { StallProbe } from './probes';
const h = new StallProbe();
async function phase<T>(name: string, fn: () => Promise<T> | T): Promise<T> {
  await sleep(20); h.reset(); const t = performance.now(); const r = await fn(); const d = performance.now() - t;
  console.log(name, d.toFixed(0), 'ms, stall', (await h.maxMs()).toFixed(0)); return r;
}
(async () => {
  const keep: unknown[] = [];
  for (let round = 0; round < 2; round++) {
    const res = await phase('fetch', () => fetch('http://127.0.0.1:18911/api/v1/entities'));
    const text = await phase('text', () => res.text());
    const body = await phase('parse', () => JSON.parse(text));
    await phase('hash', () => hashEntities(body.items));
    keep.push(body);
  }
  h.stop();
})();
