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

/** What hashing a read answers: a hash per entity ref, and per item text its entity and hash. */
export interface EntityHashes {
  byRef: Map<string, string>;
  /** By the sha1 of the item's text: the next read neither parses nor hashes these again. */
  byText: Map<string, { entity: Entity; hash: string }>;
}

/**
 * A hash per entity ref, computed a slice at a time, yielding to the event loop in between.
 * With `textHashes` (readEntities'), an item whose text the last read had (`known`) keeps its
 * hash: only the changed items are hashed key by key (a third of a read's CPU).
 */
export async function hashEntities(
  entities: Entity[],
  textHashes?: string[],
  known?: EntityHashes['byText'],
): Promise<EntityHashes> {
  const byRef = new Map<string, string>();
  const byText: EntityHashes['byText'] = new Map();
  for (let start = 0; start < entities.length; start += SLICE) {
    if (start > 0) {
      await yieldToEventLoop();
    }
    for (let index = start; index < Math.min(start + SLICE, entities.length); index += 1) {
      const entity = entities[index];
      const text = textHashes?.[index];
      const hash = (text === undefined ? undefined : known?.get(text)?.hash) ?? hashOf(entity);
      byRef.set(refOf(entity), hash);
      if (text !== undefined) {
        byText.set(text, { entity, hash });
      }
    }
  }
  return { byRef, byText };
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
