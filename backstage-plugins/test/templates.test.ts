// The software templates dry-run through a real scaffolder backend with our module registered,
// against the real catalog service (on the demo GitOps repository, in a bare repository of the
// test's own): the output carries the service's own diff, and its audit log shows what it was asked.
// restart-application and copy-database run on a service of their own, configured with an Argo CD
// double (support/argocdDouble.ts) and restart.protected.
import { mockCredentials, mockServices, startTestBackend, type TestBackend } from '@backstage/backend-test-utils';
import type { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import githubModule from '@backstage/plugin-scaffolder-backend-module-github';
import knexFactory from 'knex';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import yaml from 'yaml';
import scaffolderModuleIdp from '../plugins/scaffolder-backend-module-idp/src';
import { type ActionsService, PROD_PROMOTERS, startActionsService } from './support/actionsService';
import { type ArgoCdDouble, startArgoCdDouble } from './support/argocdDouble';

const TEMPLATES = path.resolve(__dirname, '../../templates');
const ALICE = 'user:default/alice';
const BOB = 'user:default/bob';

const USER: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'User',
  metadata: { name: 'alice', namespace: 'default' },
  spec: { memberOf: ['team-payments'] },
  relations: [{ type: 'memberOf', targetRef: 'group:default/team-payments' }],
};

// Bob is in team-platform: the only group that may promote into prod (startActionsService).
const BOB_USER: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'User',
  metadata: { name: 'bob', namespace: 'default' },
  spec: { memberOf: ['team-platform'] },
  relations: [{ type: 'memberOf', targetRef: 'group:default/team-platform' }],
};

interface DryRunResult {
  status: number;
  body: {
    output?: { links?: { title: string; url?: string }[]; text?: { title: string; content: string }[] };
    log?: { body: { message: string; status?: string; stepId?: string } }[];
    steps?: { id: string; action: string }[];
    directoryContents?: { path: string; base64Content: string }[];
    errors?: unknown;
    error?: { name?: string; message: string };
  };
}

/** Every file under `dir`, as the dry-run endpoint takes a template's folder. */
function directoryContents(dir: string, prefix = ''): { path: string; base64Content: string }[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap(entry => {
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    const full = path.join(dir, entry.name);
    return entry.isDirectory()
      ? directoryContents(full, relative)
      : [{ path: relative, base64Content: fs.readFileSync(full).toString('base64') }];
  });
}

/** A real scaffolder backend with our module, talking to `service` (whose test token is trusted). */
async function startScaffolder(service: ActionsService): Promise<{ port: number; stop(): Promise<void> }> {
  const knex = knexFactory({ client: 'better-sqlite3', connection: ':memory:', useNullAsDefault: true, pool: { min: 1, max: 1 } });
  const backend: TestBackend = await startTestBackend({
    features: [
      scaffolderPlugin,
      githubModule,
      scaffolderModuleIdp,
      catalogServiceMock.factory({ entities: [USER, BOB_USER] }),
      mockServices.database.factory({ knex }),
      mockServices.rootConfig.factory({ data: { idp: { baseUrl: service.baseUrl, token: service.token } } }),
    ],
  });
  return {
    port: backend.server.port(),
    async stop() {
      await backend.stop();
      await knex.destroy();
    },
  };
}

/** `POST /api/scaffolder/v2/dry-run` of the template in `templates/<folder>`, with `values`, as `user`. */
async function scaffolderDryRun(
  port: number,
  folder: string,
  values: Record<string, unknown>,
  user = ALICE,
  authorization = mockCredentials.user.header(user),
): Promise<DryRunResult> {
  const dir = path.join(TEMPLATES, folder);
  const template = yaml.parse(fs.readFileSync(path.join(dir, 'template.yaml'), 'utf8'));
  const response = await fetch(`http://127.0.0.1:${port}/api/scaffolder/v2/dry-run`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: authorization },
    body: JSON.stringify({
      template,
      values,
      directoryContents: directoryContents(dir).filter(file => file.path !== 'template.yaml'),
    }),
    signal: AbortSignal.timeout(30_000),
  });
  return { status: response.status, body: (await response.json()) as DryRunResult['body'] };
}

function failure(result: DryRunResult): string {
  const log = result.body.log?.map(entry => entry.body.message).join('\n');
  return `HTTP ${result.status}: ${JSON.stringify(result.body.errors ?? result.body.error)}\n${log}`;
}

describe('the software templates, dry-run by a real scaffolder', () => {
  let service: ActionsService;
  let scaffolder: { port: number; stop(): Promise<void> } | undefined;

  before(async () => {
    // A Backstage made by startTestBackend signs mock tokens the service cannot check: the test
    // token is trusted instead (auth.trustedTokens), so the body's requestedByGroups are believed.
    service = await startActionsService({}, { trusted: true });
    scaffolder = await startScaffolder(service);
  });

  after(async () => {
    await scaffolder?.stop();
    await service?.stop();
  });

  const dryRun = (folder: string, values: Record<string, unknown>, user = ALICE, authorization = mockCredentials.user.header(user)) =>
    scaffolderDryRun(scaffolder!.port, folder, values, user, authorization);

  it('the module registers its five actions, each with its examples', async () => {
    const response = await fetch(`http://127.0.0.1:${scaffolder!.port}/api/scaffolder/v2/actions`, {
      headers: { Authorization: mockCredentials.user.header(ALICE) },
    });
    assert.equal(response.status, 200);
    const actions = (await response.json()) as { id: string; examples?: unknown[] }[];
    const ours = actions.filter(action => action.id.startsWith('idp:'));
    assert.deepEqual(ours.map(action => action.id).sort(), [
      'idp:application:create',
      'idp:application:restart',
      'idp:database:copy',
      'idp:image:promote',
      'idp:image:set-version',
    ]);
    assert.ok(ours.every(action => (action.examples?.length ?? 0) >= 2), JSON.stringify(ours.map(a => [a.id, a.examples?.length])));
  });

  it('new-application: renders the repository, skips publish:github, dry-runs the manifest', async () => {
    const branchesBefore = service.branches();
    const result = await dryRun('new-application', {
      name: 'refund-api',
      description: 'Card refunds API',
      system: 'system:default/payments',
      owner: 'group:default/team-payments',
      type: 'service',
      lifecycle: 'experimental',
      repoUrl: 'github.com?owner=acme&repo=refund-api',
      image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/refund-api',
      firstVersion: '0.1.0',
    });
    assert.equal(result.status, 200, failure(result));
    const [entry] = await service.audit({ action: 'create-application' });
    assert.equal(entry.actor, ALICE);
    assert.equal(entry.dryRun, true);
    assert.equal(entry.outcome, 'succeeded');
    assert.deepEqual(pick(entry.inputs, ['name', 'system', 'owner', 'type', 'description', 'lifecycle', 'sourceRepository', 'image', 'environments', 'requestedByGroups']), {
      name: 'refund-api',
      system: 'payments',
      owner: 'group:default/team-payments',
      type: 'service',
      description: 'Card refunds API',
      lifecycle: 'experimental',
      sourceRepository: 'acme/refund-api',
      image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/refund-api',
      environments: { dev: { version: '0.1.0' } },
      requestedByGroups: ['group:default/team-payments'],
    });
    const diff = result.body.output?.text?.find(text => text.title === 'Manifest change')?.content ?? '';
    assert.match(diff, /^\+\+\+ b\/apps\/payments\/refund-api\.yaml$/m);
    assert.match(diff, /^\+  name: refund-api$/m);
    assert.match(diff, /^\+    dev: +\{version: "0\.1\.0"\}$/m);
    assert.deepEqual(service.branches(), branchesBefore, 'a dry run pushed a branch');
    const messages = result.body.log?.map(entry => entry.body.message) ?? [];
    assert.ok(messages.some(m => /Skipping because publish:github does not support dry-run/.test(m)), failure(result));
    // The rendered repository: the CI calls the platform's reusable build with the image.
    const files = Object.fromEntries(
      (result.body.directoryContents ?? []).map(file => [file.path, Buffer.from(file.base64Content, 'base64').toString('utf8')]),
    );
    assert.deepEqual(Object.keys(files).sort(), ['.github/workflows/ci.yaml', 'Dockerfile', 'README.md']);
    const ci = yaml.parse(files['.github/workflows/ci.yaml']);
    assert.equal(ci.jobs.build.uses, 'acme/platform-workflows/.github/workflows/build.yaml@v1');
    assert.equal(ci.jobs.build.with.image, '123456789012.dkr.ecr.eu-west-1.amazonaws.com/refund-api');
    assert.match(files['README.md'], /^# refund-api\n\nCard refunds API\n/);
  });

  it('promote-image: dry-runs the promotion and outputs the diff', async () => {
    const result = await dryRun('promote-image', {
      application: 'component:default/ledger-api',
      from: 'dev',
      to: 'staging',
    });
    assert.equal(result.status, 200, failure(result));
    const [entry] = await service.audit({ action: 'promote-image' });
    assert.equal(entry.actor, ALICE);
    assert.equal(entry.dryRun, true);
    assert.equal(entry.outcome, 'succeeded');
    assert.deepEqual(pick(entry.inputs, ['application', 'from', 'to', 'requestedByGroups']), {
      application: 'ledger-api',
      from: 'dev',
      to: 'staging',
      requestedByGroups: ['group:default/team-payments'],
    });
    // ledger-api's environments are in block style: the one line that changes is its version.
    const diff = result.body.output?.text?.find(text => text.title === 'Manifest change')?.content ?? '';
    assert.match(diff, /^\+\+\+ b\/apps\/payments\/ledger\.yaml$/m);
    assert.match(diff, /^-      version: "3\.1\.4"\n\+      version: "3\.2\.0"$/m);
    assert.equal(diff.split('\n').filter(line => /^[-+][^-+]/.test(line)).length, 2, diff);
  });

  it('promote-image into protected prod: a promoter gets the diff, anyone else the service message', async () => {
    const values = { application: 'component:default/payments-api', from: 'staging', to: 'prod' };
    const allowed = await dryRun('promote-image', values, BOB);
    assert.equal(allowed.status, 200, failure(allowed));
    const diff = allowed.body.output?.text?.find(text => text.title === 'Manifest change')?.content ?? '';
    assert.match(diff, /^-    prod: +\{version: "2\.13\.2", replicas: 4\}/m);
    assert.match(diff, /^\+    prod: +\{version: "2\.14\.0", replicas: 4\}/m);
    const [allowedEntry] = await service.audit({ action: 'promote-image' });
    assert.deepEqual([allowedEntry.actor, allowedEntry.outcome], [BOB, 'succeeded']);

    const refused = await dryRun('promote-image', values, ALICE);
    // The action's InputError becomes the dry run's 400, with the service's message.
    assert.equal(refused.status, 400, failure(refused));
    assert.deepEqual(refused.body.error, {
      name: 'InputError',
      message:
        "promote-image: 'prod' is protected: only group:default/team-platform may promote into it, and 'user:default/alice' is none of them (forbidden)",
    });
    const [refusedEntry] = await service.audit({ action: 'promote-image' });
    assert.deepEqual([refusedEntry.actor, refusedEntry.outcome], [ALICE, 'rejected']);
  });

  it('a dry run with a service token (no signed-in user) answers the InputError that says so, and calls nothing', async () => {
    const count = (await service.audit()).length;
    const values = { application: 'component:default/payments-api', from: 'dev', to: 'staging' };
    const result = await dryRun('promote-image', values, ALICE, mockCredentials.service.header());
    assert.equal(result.status, 400, failure(result));
    assert.equal(result.body.error?.name, 'InputError');
    assert.match(
      result.body.error?.message ?? '',
      /^promote-image: the task has no signed-in user \(it runs as service [^)]+\): the IDP actions need to know who asked; run the template as a signed-in user, not with a service token$/,
    );
    assert.equal((await service.audit()).length, count, 'the service was called');
  });

  it('refuses values the template does not allow, before calling the service', async () => {
    const count = (await service.audit()).length;
    const result = await dryRun('promote-image', {
      application: 'component:default/payments-api',
      from: 'qa',
      to: 'prod',
    });
    assert.equal(result.status, 400);
    assert.equal((await service.audit()).length, count, 'the service was called');
  });
});

describe('the day-2 templates (restart-application, copy-database), dry-run by a real scaffolder', () => {
  let argocd: ArgoCdDouble | undefined;
  let service: ActionsService | undefined;
  let scaffolder: { port: number; stop(): Promise<void> } | undefined;

  before(async () => {
    argocd = await startArgoCdDouble();
    service = await startActionsService(
      { argocd: { url: argocd.url, token: argocd.token, timeoutSeconds: 2 }, restart: { protected: { prod: [PROD_PROMOTERS] } } },
      { trusted: true },
    );
    scaffolder = await startScaffolder(service);
  });

  after(async () => {
    await scaffolder?.stop();
    await service?.stop();
    await argocd?.stop();
  });

  function started(): { argo: ArgoCdDouble; idp: ActionsService; port: number } {
    assert.ok(argocd && service && scaffolder, 'the Argo CD double, the catalog service or the scaffolder did not start');
    return { argo: argocd, idp: service, port: scaffolder.port };
  }

  it('restart-application: the dry run names the Deployments it would restart, and Argo CD restarts nothing', async () => {
    const { argo, idp, port } = started();
    const result = await scaffolderDryRun(port, 'restart-application', { application: 'component:default/checkout-api', environment: 'staging' });
    assert.equal(result.status, 200, failure(result));
    assert.deepEqual(argo.restarts, [], 'a dry run restarted something');
    const [entry] = await idp.audit({ action: 'restart-application' });
    assert.deepEqual([entry.actor, entry.dryRun, entry.outcome], [ALICE, true, 'succeeded']);
    assert.deepEqual(pick(entry.inputs, ['application', 'environment', 'requestedByGroups']), {
      application: 'checkout-api',
      environment: 'staging',
      requestedByGroups: ['group:default/team-payments'],
    });
    const restarted = result.body.output?.text?.find(text => text.title === 'Restarted')?.content ?? '';
    assert.match(restarted, /^Argo CD application `checkout-api-staging`:$/m);
    assert.match(restarted, /^- Deployment `storefront\/checkout-api`$/m);
    assert.match(restarted, /^- Deployment `storefront-workers\/checkout-api-worker`$/m);
  });

  it('restart-application in protected prod: a listed group gets through, anyone else the service message', async () => {
    const { idp, port } = started();
    const values = { application: 'component:default/payments-api', environment: 'prod' };
    const allowed = await scaffolderDryRun(port, 'restart-application', values, BOB);
    assert.equal(allowed.status, 200, failure(allowed));
    const refused = await scaffolderDryRun(port, 'restart-application', values, ALICE);
    assert.equal(refused.status, 400, failure(refused));
    assert.equal(refused.body.error?.name, 'InputError');
    assert.match(refused.body.error?.message ?? '', /^restart-application: .*'prod' is protected.*\(forbidden\)$/);
    const [entry] = await idp.audit({ action: 'restart-application' });
    assert.deepEqual([entry.actor, entry.outcome], [ALICE, 'rejected']);
  });

  it('restart-application refuses an environment the template does not offer, before calling the service', async () => {
    const { idp, port } = started();
    const count = (await idp.audit()).length;
    const result = await scaffolderDryRun(port, 'restart-application', { application: 'component:default/payments-api', environment: 'qa' });
    assert.equal(result.status, 400);
    assert.equal((await idp.audit()).length, count, 'the service was called');
  });

  it('copy-database: dry-runs the copy with the default 24 hours, and outputs the diff and the expiry', async () => {
    const { idp, port } = started();
    const branchesBefore = idp.branches();
    const asked = Date.now();
    const result = await scaffolderDryRun(port, 'copy-database', { application: 'component:default/payments-api', component: 'db', from: 'prod', to: 'staging', hours: 24 });
    assert.equal(result.status, 200, failure(result));
    const [entry] = await idp.audit({ action: 'copy-database' });
    assert.deepEqual([entry.actor, entry.dryRun, entry.outcome], [ALICE, true, 'succeeded']);
    // hours reaches the service as a number, not the string a template renders by default.
    assert.deepEqual(pick(entry.inputs, ['application', 'component', 'from', 'to', 'hours']), {
      application: 'payments-api',
      component: 'db',
      from: 'prod',
      to: 'staging',
      hours: 24,
    });
    const diff = result.body.output?.text?.find(text => text.title === 'Manifest change')?.content ?? '';
    assert.match(diff, /^\+\+\+ b\/apps\/payments\/payments-api\.yaml$/m);
    // The demo's environments are flow mappings, and stay so: the copy is added inside.
    assert.match(diff, /^\+ +staging: \{version: "[^"]+", copies: \[\{component: db, from: prod, expiresAt: "[0-9T:-]+Z"\}\]\}$/m);
    const expires = result.body.output?.text?.find(text => text.title === 'Expires')?.content ?? '';
    const at = /^The copy expires at (\S+) \(UTC\)\.$/.exec(expires);
    assert.ok(at, expires);
    assert.ok(Math.abs(Date.parse(at[1]) - (asked + 24 * 3_600_000)) < 120_000, at[1]);
    assert.deepEqual(idp.branches(), branchesBefore, 'a dry run pushed a branch');
  });

  it('copy-database refuses hours outside 1..72 and an environment it does not offer, before calling the service', async () => {
    const { idp, port } = started();
    const count = (await idp.audit()).length;
    const base = { application: 'component:default/payments-api', component: 'db', from: 'prod', to: 'staging' };
    for (const values of [{ ...base, hours: 73 }, { ...base, hours: 0 }, { ...base, hours: 'a day' }, { ...base, to: 'qa', hours: 24 }]) {
      const result = await scaffolderDryRun(port, 'copy-database', values);
      assert.equal(result.status, 400, `${JSON.stringify(values)}: ${failure(result)}`);
    }
    assert.equal((await idp.audit()).length, count, 'the service was called');
  });
});

describe('the day-2 templates as written', () => {
  it('the two templates default to what the issue asks: hours 24 (at most 72), environments as in promote-image', () => {
    const read = (folder: string) => yaml.parse(fs.readFileSync(path.join(TEMPLATES, folder, 'template.yaml'), 'utf8'));
    const copy = read('copy-database').spec.parameters[0].properties;
    assert.deepEqual([copy.hours.type, copy.hours.default, copy.hours.minimum, copy.hours.maximum], ['integer', 24, 1, 72]);
    const promote = read('promote-image').spec.parameters[0].properties;
    const environments = [...new Set([...promote.from.enum, ...promote.to.enum])];
    const restart = read('restart-application').spec.parameters[0].properties;
    assert.deepEqual(restart.environment.enum, environments);
    assert.deepEqual(copy.from.enum, environments);
    assert.deepEqual(copy.to.enum, environments);
    for (const properties of [restart, copy]) {
      assert.equal(properties.application['ui:field'], 'EntityPicker');
      assert.deepEqual(properties.application['ui:options'].catalogFilter, [{ kind: 'Component', 'spec.type': ['service', 'etl', 'vendor'] }]);
    }
  });
});

function pick(object: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter(key => key in object).map(key => [key, object[key]]));
}
