import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { type GitopsService, SERVICE_TOKEN, startGitopsService } from './gitopsService';

/** Who may promote into prod on the actions' service (`promotion.protected`). */
export const PROD_PROMOTERS = 'group:default/team-platform';

/**
 * How the service knows who asks (its `auth` section, beside the test token):
 * `{ backstage: { jwksUrl, issuer } }` checks the token the actions send in X-Backstage-Token;
 * `{ trusted: true }` makes the test token one of `auth.trustedTokens` (the body is believed).
 */
export interface ActionsAuth {
  backstage?: { jwksUrl: string; issuer: string };
  trusted?: boolean;
}

/** A branch name whose push the bare repository's hook refuses: the service answers 502. */
export const REFUSED_BRANCH_PART = 'refused-by-hook';

/** One row of the service's audit log (`GET /api/v1/audit`), as far as the tests read it. */
export interface AuditEntry {
  actor: string;
  action: string;
  inputs: Record<string, unknown>;
  dryRun: boolean;
  outcome: 'succeeded' | 'failed' | 'rejected';
  message: string | null;
  branch: string | null;
}

/** The real service with its actions on: it pushes branches to a local bare repository. */
export interface ActionsService extends GitopsService {
  /** The bare repository's branches and the commit each points at. */
  branches(): Map<string, string>;
  /** A file as the bare repository holds it on `branch`. */
  fileAt(branch: string, relativePath: string): string;
  /** The files `branch` changes against main, sorted. */
  changedFiles(branch: string): string[];
  /** The audit log, newest first: what the service was asked, by whom, and how it ended. */
  audit(query?: Record<string, string>): Promise<AuditEntry[]>;
}

/**
 * `catalog-service serve` on the demo manifests in a bare repository, with `actions` and
 * `promotion` configured as docs/self-service.md describes: prod is protected (only
 * {@link PROD_PROMOTERS}), and a pre-receive hook refuses branches naming {@link REFUSED_BRANCH_PART}
 * (the one way to make the real service fail with a 5xx).
 */
export async function startActionsService(
  config: Record<string, unknown> = {},
  auth: ActionsAuth = {},
): Promise<ActionsService> {
  const tokens = auth.trusted ? { tokens: [], trustedTokens: [SERVICE_TOKEN] } : { tokens: [SERVICE_TOKEN] };
  const service = await startGitopsService({
    bare: true,
    config: {
      actions: { manifestPath: 'apps/{system}/{name}.yaml' },
      promotion: { protected: { prod: [PROD_PROMOTERS] } },
      auth: { ...tokens, ...(auth.backstage ? { backstage: auth.backstage } : {}) },
      ...config,
    },
  });
  const hook = path.join(service.remote, 'hooks', 'pre-receive');
  writeFileSync(
    hook,
    `#!/bin/sh\nwhile read old new ref; do\n  case "$ref" in *${REFUSED_BRANCH_PART}*) echo "policy: $ref is not allowed" >&2; exit 1;; esac\ndone\n`,
    { mode: 0o755 },
  );
  const git = (...args: string[]) => execFileSync('git', args, { cwd: service.remote, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return {
    ...service,
    branches() {
      const lines = git('for-each-ref', '--format=%(refname:short) %(objectname)', 'refs/heads').trim().split('\n');
      return new Map(lines.filter(Boolean).map(line => line.split(' ') as [string, string]));
    },
    fileAt: (branch, relativePath) => git('show', `${branch}:${relativePath}`),
    changedFiles: branch => git('diff', '--name-only', `main...${branch}`).trim().split('\n').filter(Boolean).sort(),
    async audit(query = {}) {
      const url = `${service.baseUrl}/api/v1/audit?${new URLSearchParams(query)}`;
      const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
      if (response.status !== 200) {
        throw new Error(`GET ${url} answered ${response.status}: ${await response.text()}`);
      }
      return ((await response.json()) as { items: AuditEntry[] }).items;
    },
  };
}
