import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './freePort';

/** A running catalog service: where to reach it, and how to stop it. */
export interface CatalogService {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:41234`. */
  baseUrl: string;
  /** The latest part of what the service printed (its access log among it); '' when not ours. */
  output(): string;
  stop(): Promise<void>;
}

export const REPO_ROOT = path.resolve(__dirname, '../../..');
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;
// Enough of the child's output to explain a crash, without holding megabytes of logs.
const OUTPUT_TAIL_CHARS = 20_000;

/**
 * Starts `python -m catalog_service demo` on a free port and waits until `/readyz` answers 200.
 * With CATALOG_URL set, uses that already running service instead and starts nothing.
 */
export async function startCatalogService(): Promise<CatalogService> {
  const externalUrl = process.env.CATALOG_URL;
  if (externalUrl) {
    const baseUrl = externalUrl.replace(/\/+$/, '');
    await waitUntilReady(baseUrl, () => undefined);
    return { baseUrl, output: () => '', stop: async () => {} };
  }

  const port = await freePort();
  // A demo of its own: test files run at once, and the user's demo folder is not the tests'.
  const workdir = mkdtempSync(path.join(os.tmpdir(), 'catalog-demo-'));
  const service = await spawnCatalogService(
    ['demo', '--host', '127.0.0.1', '--port', String(port), '--workdir', workdir],
    port,
  ).catch(error => {
    rmSync(workdir, { recursive: true, force: true });
    throw error;
  });
  return {
    ...service,
    stop: async () => {
      await service.stop();
      rmSync(workdir, { recursive: true, force: true });
    },
  };
}

/**
 * Starts `python -m catalog_service <args>` (which must listen on 127.0.0.1:`port`) and waits
 * until `/readyz` answers 200.
 */
export async function spawnCatalogService(serviceArgs: string[], port: number): Promise<CatalogService> {
  const python = process.env.CATALOG_PYTHON ?? path.join(REPO_ROOT, '.venv/bin/python');
  const baseUrl = `http://127.0.0.1:${port}`;
  const args = ['-m', 'catalog_service', ...serviceArgs];
  // cwd = repository root, so `-m catalog_service` also works without an installed package.
  const child = spawn(python, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });

  let output = '';
  const keepTail = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS);
  };
  child.stdout.on('data', keepTail);
  child.stderr.on('data', keepTail);

  let exited: string | undefined;
  const exitedPromise = new Promise<void>(resolve => {
    child.on('error', error => {
      exited = `could not start ${python}: ${error.message}`;
      resolve();
    });
    child.on('exit', (code, signal) => {
      exited = `exited with ${signal ?? `code ${code}`}`;
      resolve();
    });
  });
  // A test run that dies must not leave the service behind.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const stop = async () => {
    process.removeListener('exit', killOnExit);
    if (exited === undefined) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exitedPromise;
      clearTimeout(timer);
    }
  };

  try {
    await waitUntilReady(baseUrl, () =>
      exited === undefined ? undefined : `the catalog service ${exited}`,
    );
  } catch (error) {
    await stop();
    const command = [python, ...args].join(' ');
    throw new Error(`${(error as Error).message}\ncommand: ${command}\noutput:\n${output}`);
  }
  return { baseUrl, output: () => output, stop };
}

/** Polls `GET /readyz` until 200; `deathNote` answers a reason when waiting is pointless. */
async function waitUntilReady(baseUrl: string, deathNote: () => string | undefined): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    const died = deathNote();
    if (died) {
      throw new Error(died);
    }
    try {
      const response = await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(2_000) });
      if (response.status === 200) {
        return;
      }
      last = `HTTP ${response.status}: ${(await response.text()).slice(0, 500)}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await sleep(250);
  }
  throw new Error(`${baseUrl}/readyz did not answer 200 within ${READY_TIMEOUT_MS} ms (last: ${last})`);
}
