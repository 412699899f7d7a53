import type { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { BACKSTAGE_TOKEN_HEADER } from './identity';

/** The service's self-service actions (docs/architecture.md §6.4). */
export type IdpActionName = 'create-application' | 'promote-image' | 'set-version' | 'copy-database' | 'restart-application';

/** The actions that change a manifest: they answer a diff and, unless dry, its branch. */
export type IdpManifestActionName = Exclude<IdpActionName, 'restart-application'>;

/** What the service answers for a manifest action: the pull request (none on a dry run) and the diff. */
export interface IdpActionResult {
  branch: string | null;
  pullRequestUrl: string | null;
  diff: string;
  auditId: number | string | null;
  changed: boolean;
  /** copy-database only: when the copy removes itself (ISO 8601 UTC). */
  expiresAt?: string;
}

/** One Deployment of the Argo CD application's resource tree that was (or, dry, would be) restarted. */
export interface IdpRestartedResource {
  kind: string;
  name: string;
  namespace: string;
}

/** What the service answers for restart-application: no manifest change, the Deployments instead. */
export interface IdpRestartResult {
  auditId: number | string | null;
  changed: boolean;
  argocdApplication: string;
  restarted: IdpRestartedResource[];
}

/**
 * Calls `POST {baseUrl}/api/v1/actions/<action>` with the `idp.token` bearer token and, in
 * `X-Backstage-Token`, the token Backstage signed for the task's user.
 */
export class IdpServiceClient {
  static fromConfig(config: Config): IdpServiceClient {
    return new IdpServiceClient(config.getString('idp.baseUrl'), config.getString('idp.token'));
  }

  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
  ) {}

  /**
   * A 4xx becomes an InputError with the service's own message (the request was wrong: the user
   * can fix it); anything else that is not a 2xx is a plain Error.
   */
  async run(
    action: IdpManifestActionName,
    body: object,
    signal?: AbortSignal,
    backstageToken?: string,
  ): Promise<IdpActionResult> {
    return parseResult(action, await this.post(action, body, signal, backstageToken));
  }

  /** `restart-application`: the same call and errors, its own answer. */
  async restart(body: object, signal?: AbortSignal, backstageToken?: string): Promise<IdpRestartResult> {
    const action = 'restart-application';
    return parseRestartResult(action, await this.post(action, body, signal, backstageToken));
  }

  private async post(action: IdpActionName, body: object, signal?: AbortSignal, backstageToken?: string): Promise<string> {
    const url = `${this.baseUrl.replace(/\/+$/, '')}/api/v1/actions/${action}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Accept: 'application/json',
          Authorization: `Bearer ${this.token}`,
          ...(backstageToken ? { [BACKSTAGE_TOKEN_HEADER]: backstageToken } : {}),
        },
        body: JSON.stringify(body),
        signal,
      });
    } catch (error) {
      if (signal?.aborted) {
        throw error; // the task was cancelled: nothing to explain
      }
      // fetch says only "fetch failed"; the reason (ECONNREFUSED, a DNS error) is its cause.
      const cause = (error as Error & { cause?: Error }).cause?.message ?? (error as Error).message;
      throw new Error(`${action}: cannot reach the IDP catalog service at ${url}: ${cause}`);
    }
    const text = await response.text();
    if (response.status >= 400 && response.status < 500) {
      throw new InputError(`${action}: ${serviceMessage(text) ?? `HTTP ${response.status}`}`);
    }
    if (!response.ok) {
      const message = serviceMessage(text) ?? text.slice(0, 200);
      throw new Error(`${action}: the IDP catalog service answered HTTP ${response.status}: ${message}`);
    }
    return text;
  }
}

function serviceMessage(text: string): string | undefined {
  try {
    const body = JSON.parse(text);
    const error = body?.error;
    if (typeof error?.message === 'string') {
      return error.code ? `${error.message} (${error.code})` : error.message;
    }
  } catch {
    // not the service's JSON error (a proxy's page): the caller says the status instead
  }
  return undefined;
}

function parseJson(action: IdpActionName, text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${action}: the IDP catalog service answered a body that is not JSON`);
  }
}

function parseResult(action: IdpManifestActionName, text: string): IdpActionResult {
  const body = parseJson(action, text);
  if (typeof body?.diff !== 'string' || typeof body?.changed !== 'boolean') {
    throw new Error(`${action}: the IDP catalog service's answer lacks diff or changed`);
  }
  return {
    branch: typeof body.branch === 'string' ? body.branch : null,
    pullRequestUrl: typeof body.pullRequestUrl === 'string' ? body.pullRequestUrl : null,
    diff: body.diff,
    auditId: body.auditId ?? null,
    changed: body.changed,
    ...(typeof body.expiresAt === 'string' ? { expiresAt: body.expiresAt } : {}),
  };
}

function parseRestartResult(action: IdpActionName, text: string): IdpRestartResult {
  const body = parseJson(action, text);
  const restarted = body?.restarted;
  if (typeof body?.argocdApplication !== 'string' || !Array.isArray(restarted) || typeof body?.changed !== 'boolean') {
    throw new Error(`${action}: the IDP catalog service's answer lacks argocdApplication, restarted or changed`);
  }
  return {
    auditId: body.auditId ?? null,
    changed: body.changed,
    argocdApplication: body.argocdApplication,
    restarted: restarted.map((resource: any) => ({
      kind: String(resource?.kind ?? ''),
      name: String(resource?.name ?? ''),
      namespace: String(resource?.namespace ?? ''),
    })),
  };
}
