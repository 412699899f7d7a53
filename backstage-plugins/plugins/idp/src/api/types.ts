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

/** The service, as the plugin reaches it: through Backstage's proxy, never with a token. */
export interface IdpApi {
  getAudit(query: AuditQuery): Promise<AuditPage>;
  getAdoption(query?: AdoptionQuery): Promise<Adoption>;
  getProblems(): Promise<Problems>;
}
