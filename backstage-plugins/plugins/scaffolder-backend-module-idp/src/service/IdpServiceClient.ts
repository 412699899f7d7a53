import type { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { BACKSTAGE_TOKEN_HEADER } from './identity';

/** The service's self-service actions (docs/architecture.md §6.4). */
export type IdpActionName = 'create-application' | 'promote-image' | 'set-version';

/** What the service answers for an action: the pull request (none on a dry run) and the diff. */
export interface IdpActionResult {
  branch: string | null;
  pullRequestUrl: string | null;
  diff: string;
  auditId: number | string | null;
  changed: boolean;
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
    action: IdpActionName,
    body: object,
    signal?: AbortSignal,
    backstageToken?: string,
  ): Promise<IdpActionResult> {
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
    return parseResult(action, text);
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

function parseResult(action: IdpActionName, text: string): IdpActionResult {
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`${action}: the IDP catalog service answered a body that is not JSON`);
  }
  if (typeof body?.diff !== 'string' || typeof body?.changed !== 'boolean') {
    throw new Error(`${action}: the IDP catalog service's answer lacks diff or changed`);
  }
  return {
    branch: typeof body.branch === 'string' ? body.branch : null,
    pullRequestUrl: typeof body.pullRequestUrl === 'string' ? body.pullRequestUrl : null,
    diff: body.diff,
    auditId: body.auditId ?? null,
    changed: body.changed,
  };
}
