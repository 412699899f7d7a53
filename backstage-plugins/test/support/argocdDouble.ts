// Test helper: a small double of Argo CD's REST API, as its own sources define the parts the
// catalog service uses (shared/notes/containers-and-kubernetes.md): the application
// (`GET /api/v1/applications/{name}`: status.sync, status.health), its resource tree
// (`GET .../resource-tree`: nodes with health and info), and the resource action `restart` on a
// Deployment (`POST .../resource/actions/v2` with a JSON body, since v3.1, and the older
// `POST .../resource/actions?namespace=..&resourceName=..&group=apps&kind=Deployment` with the
// body "restart"). Errors are grpc-gateway's `{error, code, message}`. Every request is recorded.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One node of a resource tree, as Argo CD answers it (the fields the service reads). */
export interface ArgoNode {
  group: string;
  version: string;
  kind: string;
  namespace: string;
  name: string;
  uid: string;
  parentRefs?: { group: string; kind: string; namespace: string; name: string; uid: string }[];
  health?: { status: string; message?: string };
  info?: { name: string; value: string }[];
}

/** An Argo CD application of the double: its sync and health, and its resource tree. */
export interface ArgoApplication {
  sync: string;
  health: string;
  nodes: ArgoNode[];
}

/** A restart Argo CD was asked for (by either endpoint). */
export interface ArgoRestart {
  application: string;
  namespace: string;
  name: string;
  kind: string;
  endpoint: 'v2' | 'v1';
}

export interface ArgoCdDouble {
  url: string;
  /** The bearer token it accepts (a project-role token, say). */
  token: string;
  applications: Map<string, ArgoApplication>;
  restarts: ArgoRestart[];
  requests: { method: string; path: string }[];
  /** Answer this status (with Argo CD's error body) to everything about one application. */
  failing: Map<string, { status: number; message: string }>;
  /** Drop every connection at once: Argo CD unreachable. */
  down: boolean;
  stop(): Promise<void>;
}

let uid = 0;

function node(kind: string, group: string, namespace: string, name: string, fields: Partial<ArgoNode> = {}): ArgoNode {
  return { group, version: 'v1', kind, namespace, name, uid: `uid-${++uid}`, ...fields };
}

/** A Deployment with its ReplicaSet and pods; `crashing` pods are Degraded as Argo CD shows them. */
export function deploymentTree(
  namespace: string,
  name: string,
  pods: { name: string; crashing?: { reason: string; message: string; restartCount: number } }[] = [],
): ArgoNode[] {
  const deployment = node('Deployment', 'apps', namespace, name, {
    health: pods.some(pod => pod.crashing) ? { status: 'Degraded', message: `Deployment "${name}" exceeded its progress deadline` } : { status: 'Healthy' },
  });
  const replicaSet = node('ReplicaSet', 'apps', namespace, `${name}-7d9`, {
    parentRefs: [{ group: 'apps', kind: 'Deployment', namespace, name, uid: deployment.uid }],
    health: { status: deployment.health!.status },
  });
  const podNodes = pods.map(pod =>
    node('Pod', '', namespace, pod.name, {
      parentRefs: [{ group: 'apps', kind: 'ReplicaSet', namespace, name: replicaSet.name, uid: replicaSet.uid }],
      health: pod.crashing ? { status: 'Degraded', message: pod.crashing.message } : { status: 'Healthy' },
      info: pod.crashing
        ? [
            { name: 'Status Reason', value: pod.crashing.reason },
            { name: 'Node', value: 'ip-10-0-1-12.eu-west-1.compute.internal' },
            { name: 'Containers', value: '0/1' },
            { name: 'Restart Count', value: String(pod.crashing.restartCount) },
          ]
        : [{ name: 'Containers', value: '1/1' }],
    }),
  );
  return [deployment, replicaSet, ...podNodes];
}

/** The crash-looping pod of payments-api in dev, as the issue and the card's tests describe it. */
export const CRASHING_POD = {
  name: 'payments-api-7d9-abc',
  namespace: 'payments',
  reason: 'CrashLoopBackOff',
  message: 'back-off 5m0s restarting failed container',
  restartCount: 12,
};

/**
 * The demo applications' Argo CD applications (`<application>-<environment>`): payments-api in dev
 * crash-loops; checkout-api in staging has two Deployments, one in another namespace; ledger-api
 * in dev has only a CronJob (no Deployment to restart).
 */
export function demoArgoApplications(): Map<string, ArgoApplication> {
  const healthy = (namespace: string, name: string): ArgoApplication => ({
    sync: 'Synced',
    health: 'Healthy',
    nodes: deploymentTree(namespace, name, [{ name: `${name}-7d9-x1` }]),
  });
  return new Map<string, ArgoApplication>([
    ['payments-api-dev', {
      sync: 'Synced',
      health: 'Degraded',
      nodes: deploymentTree(CRASHING_POD.namespace, 'payments-api', [
        { name: CRASHING_POD.name, crashing: CRASHING_POD },
        { name: 'payments-api-7d9-def' },
      ]),
    }],
    ['payments-api-staging', healthy('payments', 'payments-api')],
    ['payments-api-prod', { ...healthy('payments', 'payments-api'), sync: 'OutOfSync' }],
    ['checkout-api-staging', {
      sync: 'Synced',
      health: 'Healthy',
      nodes: [...deploymentTree('storefront', 'checkout-api'), ...deploymentTree('storefront-workers', 'checkout-api-worker')],
    }],
    ['checkout-api-prod', healthy('storefront', 'checkout-api')],
    ['ledger-api-dev', {
      sync: 'Synced',
      health: 'Healthy',
      nodes: [node('CronJob', 'batch', 'payments', 'ledger-api-nightly', { health: { status: 'Healthy' } })],
    }],
  ]);
}

/** Starts the double on a free port of 127.0.0.1. */
export async function startArgoCdDouble(token = 'argocd-project-role-token-0123456789'): Promise<ArgoCdDouble> {
  const sockets = new Set<Socket>();
  const double: Omit<ArgoCdDouble, 'url' | 'stop'> = {
    token,
    applications: demoArgoApplications(),
    restarts: [],
    requests: [],
    failing: new Map(),
    down: false,
  };
  const server: Server = createServer((request, response) => {
    void handle(double, request, response).catch(error => send(response, 500, grpcError(String(error), 13)));
  });
  server.on('connection', socket => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    if (double.down) socket.destroy();
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(double, {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>(resolve => server.close(() => resolve()));
    },
  });
}

function grpcError(message: string, code: number) {
  return { error: message, code, message };
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const APPLICATION = /^\/api\/v1\/applications\/([^/]+)(\/resource-tree|\/resource\/actions\/v2|\/resource\/actions)?$/;

async function handle(double: Omit<ArgoCdDouble, 'url' | 'stop'>, request: IncomingMessage, response: ServerResponse): Promise<void> {
  if (double.down) {
    request.socket.destroy();
    return;
  }
  const url = new URL(request.url ?? '/', 'http://argocd');
  double.requests.push({ method: request.method ?? 'GET', path: url.pathname });
  const body = await readBody(request);
  if (request.headers.authorization !== `Bearer ${double.token}`) {
    // What Argo CD answers a token it does not know (or none).
    send(response, 401, grpcError('invalid session: token signature is invalid', 16));
    return;
  }
  const match = APPLICATION.exec(url.pathname);
  if (!match) {
    send(response, 404, grpcError(`Not Found: ${url.pathname}`, 5));
    return;
  }
  const name = decodeURIComponent(match[1]);
  const failing = double.failing.get(name);
  if (failing) {
    send(response, failing.status, grpcError(failing.message, failing.status === 403 ? 7 : 13));
    return;
  }
  const application = double.applications.get(name);
  if (!application) {
    send(response, 404, grpcError(`applications.argoproj.io "${name}" not found`, 5));
    return;
  }
  const [method, part] = [request.method, match[2]];
  if (method === 'GET' && part === undefined) {
    send(response, 200, {
      metadata: { name, namespace: 'argocd' },
      spec: { project: 'default' },
      status: { sync: { status: application.sync }, health: { status: application.health } },
    });
  } else if (method === 'GET' && part === '/resource-tree') {
    send(response, 200, { nodes: application.nodes });
  } else if (method === 'POST' && part === '/resource/actions/v2') {
    const action = JSON.parse(body || '{}');
    restart(double, response, name, application, { ...action, endpoint: 'v2' });
  } else if (method === 'POST' && part === '/resource/actions') {
    const q = Object.fromEntries(url.searchParams);
    restart(double, response, name, application, { ...q, action: JSON.parse(body || '""'), endpoint: 'v1' });
  } else {
    send(response, 405, grpcError(`${method} ${url.pathname} is not allowed`, 12));
  }
}

function restart(
  double: Omit<ArgoCdDouble, 'url' | 'stop'>,
  response: ServerResponse,
  application: string,
  argo: ArgoApplication,
  action: Record<string, string>,
): void {
  const target = argo.nodes.find(
    n => n.kind === action.kind && n.group === action.group && n.namespace === action.namespace && n.name === action.resourceName,
  );
  if (action.action !== 'restart' || action.kind !== 'Deployment' || !target) {
    const what = `${action.group}/${action.kind} ${action.namespace}/${action.resourceName}`;
    send(response, 400, grpcError(`action ${JSON.stringify(action.action)} on ${what}: no such resource or action`, 3));
    return;
  }
  double.restarts.push({ application, namespace: target.namespace, name: target.name, kind: target.kind, endpoint: action.endpoint as 'v1' | 'v2' });
  send(response, 200, {});
}
