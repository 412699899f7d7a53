import type {
  Adoption,
  AdoptionQuery,
  ApplicationStatus,
  AuditEntry,
  AuditPage,
  AuditQuery,
  IdpApi,
  Problems,
} from '../api/types';

/**
 * The service's read side in memory, for component tests (the HTTP client itself is tested
 * against the real service): filters and cursor paging as `GET /api/v1/audit` does them, and
 * every call recorded. `fail` makes a method reject with that error; `hold` keeps it pending.
 */
export class InMemoryIdpApi implements IdpApi {
  readonly calls: { method: string; query: object }[] = [];
  entries: AuditEntry[] = [];
  adoption: Adoption = emptyAdoption();
  problems: Problems = { revision: 'abc', problems: [], sourceError: null };
  /** `GET /api/v1/applications/{name}/status` by application; an application not here is a 404. */
  statuses: Record<string, ApplicationStatus> = {};
  fail: Partial<Record<keyof IdpApi, Error>> = {};
  hold: Partial<Record<keyof IdpApi, boolean>> = {};

  async getAudit(query: AuditQuery): Promise<AuditPage> {
    await this.enter('getAudit', query);
    const matching = [...this.entries]
      .sort((a, b) => b.time.localeCompare(a.time) || b.id - a.id)
      .filter(entry => !query.action || entry.action === query.action)
      .filter(entry => !query.actor || entry.actor === query.actor)
      .filter(entry => !query.application || concerns(entry, query.application))
      .filter(entry => !query.since || Date.parse(entry.time) >= Date.parse(query.since))
      .filter(entry => !query.until || Date.parse(entry.time) < Date.parse(query.until));
    const start = query.cursor ? Number(query.cursor) : 0;
    const limit = query.limit ?? 50;
    const items = matching.slice(start, start + limit);
    return { items, nextCursor: start + limit < matching.length ? String(start + limit) : null };
  }

  async getAdoption(query: AdoptionQuery = {}): Promise<Adoption> {
    await this.enter('getAdoption', query);
    return this.adoption;
  }

  async getProblems(): Promise<Problems> {
    await this.enter('getProblems', {});
    return this.problems;
  }

  async getStatus(application: string): Promise<ApplicationStatus> {
    await this.enter('getStatus', { application });
    const status = this.statuses[application];
    if (!status) {
      throw new Error(`GET /api/v1/applications/${application}/status answered HTTP 404: no application named '${application}' in the catalog`);
    }
    return status;
  }

  private async enter(method: keyof IdpApi, query: object): Promise<void> {
    this.calls.push({ method, query });
    if (this.hold[method]) {
      await new Promise(() => {});
    }
    const error = this.fail[method];
    if (error) {
      throw error;
    }
  }
}

function concerns(entry: AuditEntry, application: string): boolean {
  return entry.inputs.application === application
    || (entry.action === 'create-application' && entry.inputs.name === application);
}

export function emptyAdoption(): Adoption {
  return { from: '2026-11-01', to: '2026-12-01', bucket: 'week', manifests: [], pullRequests: [], actions: [] };
}

let nextId = 1;

/** One audit entry; `minute` orders them (larger is newer). */
export function auditEntry(minute: number, fields: Partial<AuditEntry> = {}): AuditEntry {
  const id = nextId++;
  return {
    id,
    time: new Date(Date.UTC(2026, 11, 1, 9, minute)).toISOString(),
    actor: 'user:default/alice',
    action: 'promote-image',
    inputs: { application: 'payments-api', from: 'dev', to: 'staging' },
    dryRun: false,
    outcome: 'succeeded',
    message: 'opened pull request',
    branch: `idp/promote-${id}`,
    pullRequestUrl: `https://github.com/acme/gitops/pull/${id}`,
    durationSeconds: 0.4,
    ...fields,
  };
}

/**
 * A status answer as the service gives it with Argo CD reachable: every environment Synced and
 * Healthy, no pod listed, no copy; `environments` overrides fields per environment.
 */
export function applicationStatus(
  application: string,
  versions: Record<string, string>,
  environments: Record<string, Partial<ApplicationStatus['environments'][number]>> = {},
  argocd: ApplicationStatus['argocd'] = { state: 'ok', message: null },
): ApplicationStatus {
  const known = argocd.state === 'ok';
  return {
    application,
    argocd,
    environments: Object.entries(versions).map(([environment, version]) => ({
      environment,
      version,
      argocdApplication: `${application}-${environment}`,
      sync: known ? 'Synced' : null,
      health: known ? 'Healthy' : null,
      pods: [],
      copies: [],
      ...environments[environment],
    })),
    observedAt: '2026-12-02T14:00:00Z',
  };
}
