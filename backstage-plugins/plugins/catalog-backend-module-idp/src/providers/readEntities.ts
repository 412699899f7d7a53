import { createHash } from 'node:crypto';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Entity } from '@backstage/catalog-model';
import { splitItems } from './splitItems';

/** What one conditional read of `GET {baseUrl}/api/v1/entities` answered. */
export type ReadResult =
  | { status: 'not-modified' }
  | {
      status: 'read';
      entities: Entity[];
      revision: string;
      etag?: string;
      /** Per entity, the sha1 of its JSON text as served (when the body could be cut per item). */
      textHashes?: string[];
    };

/** A read that gave nothing usable: the service is down, failed, or sent something else. */
export class IdpReadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IdpReadError';
  }
}

export interface ReadOptions {
  baseUrl: string;
  token?: string;
  /** The ETag of the last body applied: the service answers 304 while it still holds. */
  etag?: string;
  timeoutMs: number;
  /** Entities the last read had, by {@link textHash}: an item with the same text is not parsed again. */
  known?: Map<string, { entity: Entity }>;
}

/** The sha1 of an item's JSON text: the same text is the same entity. */
export function textHash(text: string): string {
  return createHash('sha1').update(text).digest('base64');
}

// Enough of an error body to explain it in a log line.
const ERROR_BODY_CHARS = 300;

/**
 * Reads the service's entities once. Throws {@link IdpReadError}, never anything else, so that
 * the caller can log the reason and keep what the catalog has.
 */
export async function readEntities(options: ReadOptions): Promise<ReadResult> {
  const url = `${options.baseUrl}/api/v1/entities`;
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (options.etag) {
    headers['If-None-Match'] = options.etag;
  }
  if (options.token) {
    headers.Authorization = `Bearer ${options.token}`;
  }
  let response: Response;
  let text: string;
  try {
    // Node's fetch asks for gzip and decompresses it.
    response = await fetch(url, { headers, signal: AbortSignal.timeout(options.timeoutMs) });
    text = await response.text();
  } catch (error) {
    throw new IdpReadError(`GET ${url} failed: ${describeFetchError(error)}`);
  }
  if (response.status === 304) {
    return { status: 'not-modified' };
  }
  if (response.status !== 200) {
    throw new IdpReadError(
      `GET ${url} answered HTTP ${response.status}: ${text.slice(0, ERROR_BODY_CHARS)}`,
    );
  }
  const { entities, revision, textHashes } = await parseBody(url, text, options.known);
  return { status: 'read', entities, revision, etag: response.headers.get('etag') ?? undefined, textHashes };
}

// Items parsed between two turns of the event loop (about 10 ms of work).
const PARSE_SLICE = 500;

/**
 * Parses the body an item at a time, yielding to the event loop between slices, and checks the
 * shape the catalog relies on; the catalog itself validates the rest of each entity.
 */
async function parseBody(
  url: string,
  text: string,
  known: ReadOptions['known'],
): Promise<{ entities: Entity[]; revision: string; textHashes?: string[] }> {
  const split = await splitItems(text);
  const body = parseJson(url, split ? split.envelope : text);
  if (!isObject(body) || !Array.isArray(body.items) || typeof body.revision !== 'string') {
    throw new IdpReadError(`GET ${url} answered JSON without an "items" array and a "revision" string`);
  }
  if (!split) {
    body.items.forEach((item, index) => checkShape(url, item, index));
    return { entities: body.items as Entity[], revision: body.revision };
  }
  const entities: Entity[] = [];
  const textHashes: string[] = [];
  for (let index = 0; index < split.items.length; index += 1) {
    if (index > 0 && index % PARSE_SLICE === 0) {
      await yieldToEventLoop();
    }
    const hash = textHash(split.items[index]);
    let entity = known?.get(hash)?.entity; // checked when it was first read
    if (!entity) {
      const item = parseJson(url, split.items[index], index);
      checkShape(url, item, index);
      entity = item as Entity;
    }
    entities.push(entity);
    textHashes.push(hash);
  }
  return { entities, revision: body.revision, textHashes };
}

function checkShape(url: string, item: unknown, index: number): void {
  const problem = entityShapeProblem(item);
  if (problem) {
    throw new IdpReadError(`GET ${url} answered an invalid entity at items[${index}]: ${problem}`);
  }
}

function parseJson(url: string, text: string, index?: number): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const what = index === undefined ? 'a body that is' : `a body whose items[${index}] is`;
    throw new IdpReadError(`GET ${url} answered ${what} not JSON: ${(error as Error).message}`);
  }
}

function entityShapeProblem(item: unknown): string | undefined {
  if (!isObject(item)) {
    return 'not an object';
  }
  for (const field of ['apiVersion', 'kind'] as const) {
    if (typeof item[field] !== 'string' || item[field] === '') {
      return `no ${field}`;
    }
  }
  if (!isObject(item.metadata) || typeof item.metadata.name !== 'string' || item.metadata.name === '') {
    return 'no metadata.name';
  }
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** fetch's own message is just "fetch failed": the reason is in its cause. */
function describeFetchError(error: unknown): string {
  const err = error as Error & { cause?: { message?: string; code?: string } };
  if (err.name === 'TimeoutError') {
    return 'no answer in time';
  }
  const cause = err.cause?.code ?? err.cause?.message;
  return cause ? `${err.message} (${cause})` : err.message;
}
