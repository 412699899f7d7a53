import { createHash } from 'node:crypto';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { type Entity, stringifyEntityRef } from '@backstage/catalog-model';

// Hashing 30,000 entities takes most of a second of CPU: done in one go it would block
// Backstage's event loop (its API, its processing) that long. 500 entities take ~10 ms.
const SLICE = 500;

/** `kind:namespace/name` in lowercase: the catalog compares refs without case. */
export function refOf(entity: Entity): string {
  return stringifyEntityRef(entity).toLowerCase();
}

/** A hash per entity ref, computed a slice at a time, yielding to the event loop in between. */
export async function hashEntities(entities: Entity[]): Promise<Map<string, string>> {
  const hashes = new Map<string, string>();
  for (let start = 0; start < entities.length; start += SLICE) {
    if (start > 0) {
      await yieldToEventLoop();
    }
    for (const entity of entities.slice(start, start + SLICE)) {
      hashes.set(refOf(entity), hashOf(entity));
    }
  }
  return hashes;
}

/** A hash of the entity that does not depend on the order of its keys. */
export function hashOf(entity: Entity): string {
  return createHash('sha256').update(canonicalJson(entity)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value.map(canonicalJson).join(',')}]`;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
