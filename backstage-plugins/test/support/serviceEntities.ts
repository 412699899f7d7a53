import assert from 'node:assert/strict';
import type { Entity } from '@backstage/catalog-model';

/** `GET /api/v1/entities` of the catalog service. */
export async function fetchServiceEntities(baseUrl: string): Promise<Entity[]> {
  const response = await fetch(`${baseUrl}/api/v1/entities`, { signal: AbortSignal.timeout(10_000) });
  assert.equal(response.status, 200, `GET /api/v1/entities answered ${response.status}`);
  const body = (await response.json()) as { items?: unknown; revision?: unknown };
  assert.ok(Array.isArray(body.items), 'the answer has an "items" array');
  assert.equal(typeof body.revision, 'string', 'the answer has a "revision" string');
  return body.items as Entity[];
}
