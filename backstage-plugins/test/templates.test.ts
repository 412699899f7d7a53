// Both software templates dry-run through a real scaffolder backend with our module registered,
// against a local stand-in for the service's action endpoints (the integrator points this at the
// real service once its action endpoints are merged).
import { mockCredentials, mockServices, startTestBackend, type TestBackend } from '@backstage/backend-test-utils';
import type { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import githubModule from '@backstage/plugin-scaffolder-backend-module-github';
import knexFactory, { type Knex } from 'knex';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import yaml from 'yaml';
import scaffolderModuleIdp from '../plugins/scaffolder-backend-module-idp/src';
import {
  STAND_IN_TOKEN,
  startServiceStandIn,
  type ServiceStandIn,
} from '../plugins/scaffolder-backend-module-idp/src/testing/serviceStandIn';

const TEMPLATES = path.resolve(__dirname, '../../templates');
const ALICE = 'user:default/alice';

const USER: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'User',
  metadata: { name: 'alice', namespace: 'default' },
  spec: { memberOf: ['team-payments'] },
  relations: [{ type: 'memberOf', targetRef: 'group:default/team-payments' }],
};

interface DryRunResult {
  status: number;
  body: {
    output?: { links?: { title: string; url?: string }[]; text?: { title: string; content: string }[] };
    log?: { body: { message: string; status?: string; stepId?: string } }[];
    steps?: { id: string; action: string }[];
    directoryContents?: { path: string; base64Content: string }[];
    errors?: unknown;
    error?: { message: string };
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

describe('the software templates, dry-run by a real scaffolder', () => {
  let service: ServiceStandIn;
  let backend: TestBackend;
  let knex: Knex;

  before(async () => {
    service = await startServiceStandIn();
    knex = knexFactory({ client: 'better-sqlite3', connection: ':memory:', useNullAsDefault: true, pool: { min: 1, max: 1 } });
    backend = await startTestBackend({
      features: [
        scaffolderPlugin,
        githubModule,
        scaffolderModuleIdp,
        catalogServiceMock.factory({ entities: [USER] }),
        mockServices.database.factory({ knex }),
        mockServices.rootConfig.factory({ data: { idp: { baseUrl: service.baseUrl, token: STAND_IN_TOKEN } } }),
      ],
    });
  });

  after(async () => {
    await backend?.stop();
    await knex?.destroy();
    await service?.close();
  });

  async function dryRun(folder: string, values: Record<string, unknown>): Promise<DryRunResult> {
    const dir = path.join(TEMPLATES, folder);
    const template = yaml.parse(fs.readFileSync(path.join(dir, 'template.yaml'), 'utf8'));
    const response = await fetch(`http://127.0.0.1:${backend.server.port()}/api/scaffolder/v2/dry-run`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: mockCredentials.user.header(ALICE) },
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

  it('new-application: renders the repository, skips publish:github, dry-runs the manifest', async () => {
    const before = service.received.length;
    const result = await dryRun('new-application', {
      name: 'payments-api',
      description: 'Card payments API',
      system: 'system:default/payments',
      owner: 'group:default/team-payments',
      type: 'service',
      lifecycle: 'experimental',
      repoUrl: 'github.com?owner=acme&repo=payments-api',
      image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/payments-api',
      firstVersion: '0.1.0',
    });
    assert.equal(result.status, 200, failure(result));
    const [call, ...more] = service.received.slice(before);
    assert.deepEqual(more, []);
    assert.equal(call.action, 'create-application');
    assert.deepEqual(call.body, {
      name: 'payments-api',
      system: 'payments',
      owner: 'group:default/team-payments',
      type: 'service',
      description: 'Card payments API',
      lifecycle: 'experimental',
      sourceRepository: 'acme/payments-api',
      image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/payments-api',
      environments: { dev: { version: '0.1.0' } },
      requestedBy: ALICE,
      requestedByGroups: ['group:default/team-payments'],
      dryRun: true,
    });
    const diff = result.body.output?.text?.find(text => text.title === 'Manifest change')?.content ?? '';
    assert.match(diff, /\+\+\+ b\/apps\/payments\/payments-api\.yaml/);
    assert.match(diff, /\+  name: payments-api/);
    const messages = result.body.log?.map(entry => entry.body.message) ?? [];
    assert.ok(messages.some(m => /Skipping because publish:github does not support dry-run/.test(m)), failure(result));
    // The rendered repository: the CI calls the platform's reusable build with the image.
    const files = Object.fromEntries(
      (result.body.directoryContents ?? []).map(file => [file.path, Buffer.from(file.base64Content, 'base64').toString('utf8')]),
    );
    assert.deepEqual(Object.keys(files).sort(), ['.github/workflows/ci.yaml', 'Dockerfile', 'README.md']);
    const ci = yaml.parse(files['.github/workflows/ci.yaml']);
    assert.equal(ci.jobs.build.uses, 'acme/platform-workflows/.github/workflows/build.yaml@v1');
    assert.equal(ci.jobs.build.with.image, '123456789012.dkr.ecr.eu-west-1.amazonaws.com/payments-api');
    assert.match(files['README.md'], /^# payments-api\n\nCard payments API\n/);
  });

  it('promote-image: dry-runs the promotion and outputs the diff', async () => {
    const result = await dryRun('promote-image', {
      application: 'component:default/payments-api',
      from: 'staging',
      to: 'prod',
    });
    assert.equal(result.status, 200, failure(result));
    assert.deepEqual(service.received.at(-1), {
      action: 'promote-image',
      authorization: `Bearer ${STAND_IN_TOKEN}`,
      body: {
        application: 'payments-api',
        from: 'staging',
        to: 'prod',
        requestedBy: ALICE,
        requestedByGroups: ['group:default/team-payments'],
        dryRun: true,
      },
    });
    const diff = result.body.output?.text?.find(text => text.title === 'Manifest change')?.content ?? '';
    assert.match(diff, /\+    prod: \{version: "1\.0\.0"\}/);
  });

  it('refuses values the template does not allow, before calling the service', async () => {
    const count = service.received.length;
    const result = await dryRun('promote-image', {
      application: 'component:default/payments-api',
      from: 'qa',
      to: 'prod',
    });
    assert.equal(result.status, 400);
    assert.equal(service.received.length, count);
  });
});
