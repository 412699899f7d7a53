import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { freePortUrl } from './testPorts';
import type { Entity } from '@backstage/catalog-model';
import { IdpReadError, readEntities, textHash } from './readEntities';
import { component, serviceLike, startTestServer, type TestServer } from './testServer';

describe('readEntities', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server.close();
  });

  const read = (options: { etag?: string; token?: string } = {}) =>
    readEntities({ baseUrl: server.baseUrl, timeoutMs: 5_000, ...options });

  it('answers the entities, the revision and the ETag', async () => {
    server.answer = serviceLike([component('a'), component('b')], 'r1');
    const result = await read();
    assert.equal(result.status, 'read');
    if (result.status === 'read') {
      assert.deepEqual(result.entities.map(entity => entity.metadata.name), ['a', 'b']);
      assert.equal(result.revision, 'r1');
      assert.equal(result.etag, '"r1"');
    }
  });

  it('sends If-None-Match and answers not-modified on a 304', async () => {
    server.answer = serviceLike([component('a')], 'r1');
    assert.deepEqual(await read({ etag: '"r1"' }), { status: 'not-modified' });
    assert.equal(server.requests.at(-1)?.['if-none-match'], '"r1"');
  });

  it('sends the token as a bearer token, and none without one', async () => {
    server.answer = serviceLike([component('a')], 'r1');
    await read({ token: 'secret-token-0123456789' });
    assert.equal(server.requests.at(-1)?.authorization, 'Bearer secret-token-0123456789');
    await read();
    assert.equal(server.requests.at(-1)?.authorization, undefined);
  });

  it('reads a large body item by item, to the same entities as one JSON.parse', async () => {
    const items = Array.from({ length: 3000 }, (_, i) => component(`c-${i}`, `quotes " and ], brackets {[, commas , \\ ${i}`));
    server.answer = { status: 200, body: JSON.stringify({ items, revision: 'big' }, null, 1) };
    const result = await read();
    assert.equal(result.status, 'read');
    assert.deepEqual(result.status === 'read' && result.entities, items);
  });

  it('reuses the entity of an item whose text it knows, and parses and checks the others', async () => {
    const a = component('a');
    const textOfA = JSON.stringify(a);
    server.answer = { status: 200, body: `{"items":[${textOfA},${JSON.stringify(component('b'))}],"revision":"r"}` };
    const standIn = { ...a, metadata: { name: 'known-a' } } as unknown as Entity;
    const result = await readEntities({ baseUrl: server.baseUrl, timeoutMs: 5_000, known: new Map([[textHash(textOfA), { entity: standIn }]]) });
    assert.equal(result.status, 'read');
    assert.deepEqual(result.status === 'read' && result.entities.map(entity => entity.metadata.name), ['known-a', 'b']);
    assert.equal(result.status === 'read' && result.textHashes?.[0], textHash(textOfA));
  });

  it('reads a gzip-compressed body', async () => {
    server.answer = { status: 200, gzip: true, body: JSON.stringify({ items: [component('z')], revision: 'r2' }) };
    const result = await read();
    assert.equal(result.status === 'read' && result.entities[0].metadata.name, 'z');
    assert.match(String(server.requests.at(-1)?.['accept-encoding']), /gzip/);
  });

  const failures: Array<[string, { status: number; body?: string }, RegExp]> = [
    ['a 5xx', { status: 503, body: 'ingest running' }, /answered HTTP 503: ingest running/],
    ['a 4xx', { status: 401, body: '{"error":{}}' }, /answered HTTP 401/],
    ['a body that is not JSON', { status: 200, body: '<html>' }, /not JSON/],
    ['JSON without items', { status: 200, body: '{"revision":"r"}' }, /without an "items" array/],
    ['JSON without a revision', { status: 200, body: '{"items":[]}' }, /"revision" string/],
    [
      'an item without a name',
      { status: 200, body: JSON.stringify({ items: [component('a'), { apiVersion: 'v', kind: 'K', metadata: {} }], revision: 'r' }) },
      /invalid entity at items\[1\]: no metadata.name/,
    ],
    ['an item that is no object', { status: 200, body: '{"items":[1],"revision":"r"}' }, /items\[0\]: not an object/],
    ['an item that is not JSON', { status: 200, body: `{"items":[${JSON.stringify(component('a'))},{oops}],"revision":"r"}` }, /items\[1\] is not JSON/],
    ['a trailing comma', { status: 200, body: `{"items":[${JSON.stringify(component('a'))},],"revision":"r"}` }, /items\[1\] is not JSON/],
    ['a cut-off body', { status: 200, body: '{"items":[{"a":1},{"b":' }, /a body that is not JSON/],
    ['junk after the items', { status: 200, body: '{"items":[],"revision":"r"} x' }, /a body that is not JSON/],
  ];
  for (const [what, answer, message] of failures) {
    it(`throws IdpReadError for ${what}`, async () => {
      server.answer = answer;
      await assert.rejects(read(), (error: Error) => error instanceof IdpReadError && message.test(error.message));
    });
  }

  it('throws IdpReadError naming the cause when nothing listens', async () => {
    const baseUrl = await freePortUrl();
    await assert.rejects(
      readEntities({ baseUrl, timeoutMs: 5_000 }),
      (error: Error) => error instanceof IdpReadError && /failed: fetch failed \(ECONNREFUSED\)/.test(error.message),
    );
  });
});
