import type { AdoptionQuery, Adoption, ApplicationStatus, AuditPage, AuditQuery, IdpApi, Problems } from './types';

/** What the client needs of Backstage: `discoveryApi` and `fetchApi` fit. */
export interface IdpClientOptions {
  discoveryApi: { getBaseUrl(pluginId: string): Promise<string> };
  fetchApi: { fetch: typeof fetch };
  /** The proxy endpoint (`proxy.endpoints./idp`), default `/idp`. */
  proxyPath?: string;
}

/** A request to the service that failed: says which one, and what the service (or proxy) said. */
export class IdpRequestError extends Error {
  readonly status: number | undefined;
  readonly code: string | undefined;

  constructor(message: string, status?: number, code?: string) {
    super(message);
    this.name = 'IdpRequestError';
    this.status = status;
    this.code = code;
  }
}

// The service's errors are `{"error": {"code", "message"}}`; the proxy's own can be anything.
const MESSAGE_CHARS = 500;

/** Reads the IDP catalog service through Backstage's proxy (`/api/proxy/idp/...`). */
export class IdpClient implements IdpApi {
  private readonly discoveryApi: IdpClientOptions['discoveryApi'];
  private readonly fetchApi: IdpClientOptions['fetchApi'];
  private readonly proxyPath: string;

  constructor(options: IdpClientOptions) {
    this.discoveryApi = options.discoveryApi;
    this.fetchApi = options.fetchApi;
    // '/idp', 'idp/' and 'idp' are the same endpoint; '' or '/' is the proxy's root.
    const trimmed = (options.proxyPath ?? '/idp').replace(/^\/+|\/+$/g, '');
    this.proxyPath = trimmed ? `/${trimmed}` : '';
  }

  getAudit(query: AuditQuery): Promise<AuditPage> {
    return this.get<AuditPage>('/api/v1/audit', query);
  }

  getAdoption(query: AdoptionQuery = {}): Promise<Adoption> {
    return this.get<Adoption>('/api/v1/adoption', query);
  }

  getProblems(): Promise<Problems> {
    return this.get<Problems>('/api/v1/problems', {});
  }

  /** Per environment: the version in git, Argo CD's sync and health, unhealthy pods, live database copies. */
  getStatus(application: string): Promise<ApplicationStatus> {
    return this.get<ApplicationStatus>(`/api/v1/applications/${encodeURIComponent(application)}/status`, {});
  }

  private async get<T>(path: string, query: object): Promise<T> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined && value !== null && value !== '') {
        params.set(key, String(value));
      }
    }
    const search = params.toString();
    const what = `GET ${path}${search ? `?${search}` : ''}`;
    const base = await this.discoveryApi.getBaseUrl('proxy');
    let response: Response;
    try {
      response = await this.fetchApi.fetch(`${base}${this.proxyPath}${path}${search ? `?${search}` : ''}`, {
        headers: { Accept: 'application/json' },
      });
    } catch (error) {
      throw new IdpRequestError(`${what} through the Backstage proxy failed: ${(error as Error).message}`);
    }
    const text = await response.text();
    if (!response.ok) {
      const { message, code } = describeError(text);
      throw new IdpRequestError(
        `${what} answered HTTP ${response.status}${message ? `: ${message}` : ''}${hint(response.status, code)}`,
        response.status,
        code,
      );
    }
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new IdpRequestError(
        `${what} answered something that is not JSON (is proxy.endpoints.${this.proxyPath} the catalog service?): ${text.slice(0, 120)}`,
        response.status,
      );
    }
  }
}

function describeError(text: string): { message: string; code?: string } {
  try {
    const body = JSON.parse(text);
    const inner = body?.error;
    if (inner && typeof inner.message === 'string') {
      return { message: inner.message.slice(0, MESSAGE_CHARS), code: typeof inner.code === 'string' ? inner.code : undefined };
    }
    if (inner && typeof inner.name === 'string') {
      return { message: `${inner.name}${inner.message ? `: ${inner.message}` : ''}`.slice(0, MESSAGE_CHARS) };
    }
  } catch {
    // not JSON: the first part of the text says enough
  }
  return { message: text.trim().slice(0, MESSAGE_CHARS) };
}

function hint(status: number, serviceCode: string | undefined): string {
  // The service's own 404 (`not_found`: no such application) came through the proxy: no hint.
  if (status === 404 && serviceCode === undefined) {
    return ' (is proxy.endpoints./idp configured in app-config.yaml?)';
  }
  if (status === 401) {
    return ' (not signed in to Backstage?)';
  }
  return '';
}
