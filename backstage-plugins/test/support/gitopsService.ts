import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type CatalogService, REPO_ROOT, spawnCatalogService } from './catalogService';
import { freePort } from './freePort';

/** The catalog service serving a GitOps repository of the test's own, which the test may change. */
export interface GitopsService extends CatalogService {
  /** The service's bearer token for write endpoints. */
  token: string;
  /** The working copy of the GitOps repository the service reads (branch main). */
  repository: string;
  /** The repository the service reads: `repository` itself, or with `bare` the bare one it pushes to. */
  remote: string;
  /** Writes `relativePath` in the repository (or deletes it, for `null`) and commits it. */
  commit(relativePath: string, content: string | null): void;
  /** `POST /api/v1/refresh`: the service ingests the new commit now. */
  refresh(): Promise<{ status: string; revision: string }>;
}

// The service asks for long tokens; this one is only ever used by tests.
export const SERVICE_TOKEN = 'provider-test-token-0123456789';
const TOKEN = SERVICE_TOKEN;

/** How to serve the repository; every field optional (the default: the working copy, a free port). */
export interface GitopsOptions {
  /**
   * Serve a bare repository, which each `commit` is pushed to: the service's actions push their
   * branches there (a non-bare repository refuses a push to its checked-out branch's repository).
   */
  bare?: boolean;
  /** More configuration sections (`actions`, `promotion`, `backstage`...), over the defaults. */
  config?: Record<string, unknown>;
  /** The port to listen on, for a Backstage that must know the URL before the service starts. */
  port?: number;
}

/**
 * Copies the demo manifests (examples/gitops) into a fresh git repository and serves it with
 * `catalog-service serve`. The service polls only once an hour: a change shows after a refresh.
 */
export async function startGitopsService(options: GitopsOptions = {}): Promise<GitopsService> {
  const workdir = mkdtempSync(path.join(os.tmpdir(), 'idp-provider-test-'));
  const repository = path.join(workdir, 'gitops');
  cpSync(path.join(REPO_ROOT, 'examples/gitops'), repository, { recursive: true });
  git(repository, 'init', '--quiet', '--initial-branch=main');
  git(repository, 'add', '--all');
  git(repository, 'commit', '--quiet', '--no-gpg-sign', '--message', 'GitOps repository for the provider tests');
  let remote = repository;
  if (options.bare) {
    remote = path.join(workdir, 'gitops.git');
    git(workdir, 'clone', '--quiet', '--bare', repository, remote);
    git(repository, 'remote', 'add', 'origin', remote);
  }

  const config = {
    source: { url: remote, branch: 'main', roots: ['apps'], pollSeconds: 3600, cacheDir: path.join(workdir, 'mirror') },
    environments: ['dev', 'staging', 'prod'],
    auth: { tokens: [TOKEN] },
    database: { url: `sqlite:///${path.join(workdir, 'catalog.db')}` },
    ...options.config,
  };
  const configFile = path.join(workdir, 'config.yaml');
  writeFileSync(configFile, JSON.stringify(config, null, 2)); // JSON is YAML

  const port = options.port ?? (await freePort());
  let service: CatalogService;
  try {
    service = await spawnCatalogService(
      ['serve', '--config', configFile, '--host', '127.0.0.1', '--port', String(port)],
      port,
    );
  } catch (error) {
    rmSync(workdir, { recursive: true, force: true });
    throw error;
  }
  return {
    baseUrl: service.baseUrl,
    output: service.output,
    token: TOKEN,
    repository,
    remote,
    commit(relativePath, content) {
      if (content === null) {
        rmSync(path.join(repository, relativePath));
      } else {
        writeFileSync(path.join(repository, relativePath), content);
      }
      git(repository, 'add', '--all');
      git(repository, 'commit', '--quiet', '--no-gpg-sign', '--message', `change ${relativePath}`);
      if (options.bare) {
        git(repository, 'push', '--quiet', 'origin', 'main');
      }
    },
    async refresh() {
      const response = await fetch(`${service.baseUrl}/api/v1/refresh`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${TOKEN}` },
        signal: AbortSignal.timeout(30_000),
      });
      const body = await response.text();
      if (response.status !== 200) {
        throw new Error(`POST /api/v1/refresh answered ${response.status}: ${body}`);
      }
      return JSON.parse(body) as { status: string; revision: string };
    },
    async stop() {
      try {
        await service.stop();
      } finally {
        rmSync(workdir, { recursive: true, force: true });
      }
    },
  };
}

function git(cwd: string, ...args: string[]): void {
  execFileSync('git', ['-c', 'user.name=Provider Test', '-c', 'user.email=test@acme.example', ...args], {
    cwd,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}
