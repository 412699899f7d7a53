/** What the IDP catalog service answers (its OpenAPI document: catalog-info/openapi.json). */

export type AuditOutcome = 'succeeded' | 'failed' | 'rejected';

export interface AuditEntry {
  id: number;
  time: string;
  actor: string;
  action: string;
  inputs: Record<string, unknown>;
  dryRun: boolean;
  outcome: AuditOutcome;
  message: string;
  branch: string | null;
  pullRequestUrl: string | null;
  durationSeconds: number;
}

export interface AuditPage {
  items: AuditEntry[];
  /** Pass as `cursor` for the next page; null on the last one. */
  nextCursor: string | null;
}

/** The filters of `GET /api/v1/audit`; times are ISO 8601 (`since` inclusive, `until` exclusive). */
export interface AuditQuery {
  action?: string;
  actor?: string;
  application?: string;
  outcome?: AuditOutcome;
  since?: string;
  until?: string;
  cursor?: string;
  limit?: number;
}

export interface ManifestsBucket {
  start: string;
  end: string;
  total: number;
  byType: Record<string, number>;
  bySystem: Record<string, number>;
}

export interface PullRequestsBucket {
  start: string;
  autonomous: number;
  platformTeam: number;
  autonomousWithoutPlatformApproval: number;
}

export interface ActionsBucket {
  start: string;
  /** action: outcome: calls */
  counts: Record<string, Record<string, number>>;
}

export interface Adoption {
  from: string;
  to: string;
  bucket: 'day' | 'week' | 'month';
  manifests: ManifestsBucket[];
  pullRequests: PullRequestsBucket[];
  actions: ActionsBucket[];
}

export interface AdoptionQuery {
  from?: string;
  to?: string;
  bucket?: 'day' | 'week' | 'month';
}

export interface Problem {
  path: string;
  line: number;
  column: number;
  message: string;
  severity: 'error' | 'warning';
  /** `path:line:column: message` */
  text: string;
}

export interface Problems {
  revision: string | null;
  problems: Problem[];
  sourceError: string | null;
}

/** How the service reached Argo CD for a status answer. */
export type ArgoCdState = 'ok' | 'not-configured' | 'unavailable';

/** A pod of the environment's Argo CD application that is not Healthy. */
export interface PodStatus {
  name: string;
  namespace: string;
  /** Argo CD's health status of the pod, e.g. `Degraded`. */
  health: string;
  /** Kubernetes' reason, e.g. `CrashLoopBackOff`. */
  reason: string | null;
  message: string | null;
  restartCount: number | null;
}

/** A live copy of a database component into this environment (`spec.environments.<env>.copies`). */
export interface DatabaseCopy {
  component: string;
  /** The environment the copy was taken from. */
  from: string;
  /** ISO 8601 UTC; the service removes the copy then. */
  expiresAt: string;
}

export interface EnvironmentStatus {
  environment: string;
  /** The version in git. */
  version: string | null;
  argocdApplication: string | null;
  /** Argo CD's sync status; null when Argo CD is not configured, unavailable, or has no such application. */
  sync: string | null;
  /** Argo CD's health status; null likewise. */
  health: string | null;
  pods: PodStatus[];
  copies: DatabaseCopy[];
}

/** `GET /api/v1/applications/{name}/status`. */
export interface ApplicationStatus {
  application: string;
  argocd: { state: ArgoCdState; message: string | null };
  /** In the configured order, only those the application lists. */
  environments: EnvironmentStatus[];
  observedAt: string;
}

/** The service, as the plugin reaches it: through Backstage's proxy, never with a token. */
export interface IdpApi {
  getAudit(query: AuditQuery): Promise<AuditPage>;
  getAdoption(query?: AdoptionQuery): Promise<Adoption>;
  getProblems(): Promise<Problems>;
  getStatus(application: string): Promise<ApplicationStatus>;
}
