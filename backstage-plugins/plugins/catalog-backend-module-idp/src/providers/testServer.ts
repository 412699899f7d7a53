// Test helper: a real HTTP server on 127.0.0.1 that answers `GET /api/v1/entities` as the test says.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';

export interface Answer {
  status: number;
  body?: string;
  etag?: string;
  gzip?: boolean;
}

export interface TestServer {
  baseUrl: string;
  /** Every request's headers, in order. */
  requests: http.IncomingHttpHeaders[];
  /** What the next requests get; a function decides per request. */
  answer: Answer | ((headers: http.IncomingHttpHeaders) => Answer);
  close(): Promise<void>;
}

/** An answer like the service's: 304 when If-None-Match holds the ETag. */
export function serviceLike(items: unknown[], revision: string): (headers: http.IncomingHttpHeaders) => Answer {
  const etag = `"${revision}"`;
  return headers =>
    headers['if-none-match'] === etag
      ? { status: 304, etag }
      : { status: 200, etag, body: JSON.stringify({ items, revision }) };
}

export async function startTestServer(): Promise<TestServer> {
  const state: TestServer = {
    baseUrl: '',
    requests: [],
    answer: { status: 503, body: 'not set' },
    close: () =>
      new Promise(resolve => {
        server.close(() => resolve());
        server.closeAllConnections(); // else fetch's kept-alive sockets hold the close ~5 s
      }),
  };
  const server = http.createServer((request, response) => {
    state.requests.push(request.headers);
    const answer = typeof state.answer === 'function' ? state.answer(request.headers) : state.answer;
    const headers: Record<string, string> = {};
    if (answer.etag) {
      headers.ETag = answer.etag;
    }
    let body: Buffer | undefined = answer.body === undefined ? undefined : Buffer.from(answer.body);
    if (body && answer.gzip) {
      body = gzipSync(body);
      headers['Content-Encoding'] = 'gzip';
    }
    response.writeHead(answer.status, headers);
    response.end(body);
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  state.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}

/** A Component as the service would serve it. */
export function component(name: string, description = `${name} does things`): Record<string, unknown> {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name, description },
    spec: { type: 'service', lifecycle: 'production', owner: 'team-a', system: 'shop' },
  };
}
