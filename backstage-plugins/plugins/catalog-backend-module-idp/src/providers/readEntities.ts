import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Entity } from '@backstage/catalog-model';
import { splitItems } from './splitItems';

/** What one conditional read of `GET {baseUrl}/api/v1/entities` answered. */
export type ReadResult =
  | { status: 'not-modified' }
  | { status: 'read'; entities: Entity[]; revision: string; etag?: string };

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
  const { entities, revision } = await parseBody(url, text);
  return { status: 'read', entities, revision, etag: response.headers.get('etag') ?? undefined };
}

// Items parsed between two turns of the event loop (about 10 ms of work).
const PARSE_SLICE = 500;

/**
 * Parses the body an item at a time, yielding to the event loop between slices, and checks the
 * shape the catalog relies on; the catalog itself validates the rest of each entity.
 */
async function parseBody(url: string, text: string): Promise<{ entities: Entity[]; revision: string }> {
  const split = await splitItems(text);
  const body = parseJson(url, split ? split.envelope : text);
  if (!isObject(body) || !Array.isArray(body.items) || typeof body.revision !== 'string') {
    throw new IdpReadError(`GET ${url} answered JSON without an "items" array and a "revision" string`);
  }
  const items: unknown[] = split ? [] : body.items;
  for (let index = 0; split && index < split.items.length; index += 1) {
    if (index > 0 && index % PARSE_SLICE === 0) {
      await yieldToEventLoop();
    }
    items.push(parseJson(url, split.items[index], index));
  }
  items.forEach((item, index) => {
    const problem = entityShapeProblem(item);
    if (problem) {
      throw new IdpReadError(`GET ${url} answered an invalid entity at items[${index}]: ${problem}`);
    }
  });
  return { entities: items as Entity[], revision: body.revision };
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
