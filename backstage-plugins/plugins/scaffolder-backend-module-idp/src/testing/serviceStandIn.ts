// Test helper: a real HTTP server on 127.0.0.1 answering the service's action endpoints as the
// service does (DESIGN section 4), refusing requests whose shape the service would refuse.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export const STAND_IN_TOKEN = 'scaffolder-test-token-0123456789';

export interface ReceivedAction {
  action: string;
  authorization?: string;
  body: Record<string, unknown>;
}

export interface ServiceStandIn {
  baseUrl: string;
  received: ReceivedAction[];
  close(): Promise<void>;
}

const ACTIONS = new Set(['create-application', 'promote-image']);

/** Names that make the stand-in fail, so tests can see the errors. */
export const CONFLICTING_NAME = 'already-there';
export const BROKEN_NAME = 'internal-error';

function error(response: http.ServerResponse, status: number, code: string, message: string) {
  response.writeHead(status, { 'Content-Type': 'application/json' });
  response.end(JSON.stringify({ error: { code, message } }));
}

/** The application a request names: `name` for create-application, `application` for promote-image. */
function target(body: any): unknown {
  return body.application ?? body.name;
}

function shapeProblem(body: any): string | undefined {
  if (typeof body !== 'object' || body === null) return 'the body must be a JSON object';
  if (typeof body.requestedBy !== 'string' || !body.requestedBy.includes(':')) return 'requestedBy must be an entity ref';
  if (!Array.isArray(body.requestedByGroups) || body.requestedByGroups.some((g: unknown) => typeof g !== 'string')) {
    return 'requestedByGroups must be a list of refs';
  }
  if (typeof body.dryRun !== 'boolean') return 'dryRun must be a boolean';
  if (typeof target(body) !== 'string') return 'name (or application) is required';
  return undefined;
}

function answer(action: string, body: any, auditId: number) {
  const path = action === 'create-application' ? `apps/${body.system}/${body.name}.yaml` : `apps/${target(body)}.yaml`;
  const line = action === 'create-application' ? `+  name: ${body.name}` : `+    ${body.to}: {version: "1.0.0"}`;
  const diff = `--- a/${path}\n+++ b/${path}\n@@ -1,0 +1,1 @@\n${line}\n`;
  const branch = `idp/${action}/${target(body)}`;
  return {
    branch: body.dryRun ? null : branch,
    pullRequestUrl: body.dryRun ? null : `https://github.com/acme/gitops/pull/${auditId}`,
    diff,
    auditId,
    changed: true,
  };
}

export async function startServiceStandIn(): Promise<ServiceStandIn> {
  const received: ReceivedAction[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', chunk => chunks.push(chunk));
    request.on('end', () => {
      const match = /^\/api\/v1\/actions\/([a-z-]+)$/.exec(request.url ?? '');
      if (request.method !== 'POST' || !match || !ACTIONS.has(match[1])) {
        return error(response, 404, 'not_found', `no such endpoint: ${request.method} ${request.url}`);
      }
      if (request.headers.authorization !== `Bearer ${STAND_IN_TOKEN}`) {
        return error(response, 401, 'unauthorized', 'a valid bearer token is required');
      }
      let body: any;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return error(response, 400, 'invalid_json', 'the body is not JSON');
      }
      received.push({ action: match[1], authorization: request.headers.authorization, body });
      const problem = shapeProblem(body);
      if (problem) return error(response, 422, 'invalid_request', problem);
      if (target(body) === CONFLICTING_NAME) {
        return error(response, 409, 'conflict', `an application named ${CONFLICTING_NAME} already exists`);
      }
      if (target(body) === BROKEN_NAME) {
        return error(response, 500, 'internal', 'something broke');
      }
      response.writeHead(200, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify(answer(match[1], body, received.length)));
    });
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: () =>
      new Promise(resolve => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
