// The scaffolder actions against the real catalog service, which pushes its branches to a local
// bare repository: every example, dry and real runs, and the service's own refusals (409, 422,
// 403, 401, and a 502 from a pre-receive hook). idp:application:restart runs against a service of
// its own configured with an Argo CD double (support/argocdDouble.ts). Only "the service cannot be
// reached" is tested beside each action (plugins/scaffolder-backend-module-idp/src/actions/*/*.test.ts).
import { InputError } from '@backstage/errors';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import yaml from 'yaml';
import { createIdpApplicationCreateAction } from '../plugins/scaffolder-backend-module-idp/src/actions/createApplication/createApplication';
import { examples as createExamples } from '../plugins/scaffolder-backend-module-idp/src/actions/createApplication/createApplication.examples';
import { createIdpImagePromoteAction } from '../plugins/scaffolder-backend-module-idp/src/actions/promoteImage/promoteImage';
import { examples as promoteExamples } from '../plugins/scaffolder-backend-module-idp/src/actions/promoteImage/promoteImage.examples';
import { createIdpDatabaseCopyAction } from '../plugins/scaffolder-backend-module-idp/src/actions/copyDatabase/copyDatabase';
import { examples as copyExamples } from '../plugins/scaffolder-backend-module-idp/src/actions/copyDatabase/copyDatabase.examples';
import { createIdpApplicationRestartAction } from '../plugins/scaffolder-backend-module-idp/src/actions/restartApplication/restartApplication';
import { examples as restartExamples } from '../plugins/scaffolder-backend-module-idp/src/actions/restartApplication/restartApplication.examples';
import { createIdpImageSetVersionAction } from '../plugins/scaffolder-backend-module-idp/src/actions/setVersion/setVersion';
import { examples as setVersionExamples } from '../plugins/scaffolder-backend-module-idp/src/actions/setVersion/setVersion.examples';
import { IdpServiceClient } from '../plugins/scaffolder-backend-module-idp/src/service/IdpServiceClient';
import { runAction, TEST_USER } from '../plugins/scaffolder-backend-module-idp/src/testing/actionContext';
import { serviceCredentials, TestBackstageAuth, userCredentials } from '../plugins/scaffolder-backend-module-idp/src/testing/backstageAuth';
import { type ActionsService, PROD_PROMOTERS, REFUSED_BRANCH_PART, startActionsService } from './support/actionsService';
import { type ArgoCdDouble, startArgoCdDouble } from './support/argocdDouble';

const ALICE = 'user:default/alice';
// TEST_USER: spec.memberOf team-payments, a memberOf relation to team-platform (may promote to prod).
const ALICE_GROUPS = ['group:default/team-payments', 'group:default/team-platform'];
const BOB = 'user:default/bob';
// Bob says (in the catalog, so in the body) he is in team-platform; the token Backstage signs
// for him names him only, so the service does not believe the group.
const BOB_USER = { ref: BOB, entity: { ...TEST_USER, metadata: { name: 'bob', namespace: 'default' }, spec: { memberOf: ['team-platform'] }, relations: [] } };
// prod: the platform group, and alice by name (a limited user token proves the user, not groups).
const PROD = `${PROD_PROMOTERS}, ${ALICE}`;

// Backstage's keys: the actions send a token signed with them, the service checks it (auth.backstage).
const backstage = new TestBackstageAuth();
let service: ActionsService | undefined;
let identity: { jwksUrl: string; issuer: string } | undefined;
before(async () => {
  identity = await backstage.start();
  service = await startActionsService({ promotion: { protected: { prod: [PROD_PROMOTERS, ALICE] } } }, { backstage: identity });
});
after(async () => {
  await service?.stop();
  await backstage.stop();
});

function theService(): ActionsService {
  assert.ok(service, 'the catalog service did not start');
  return service;
}

function client(token = theService().token): IdpServiceClient {
  return new IdpServiceClient(theService().baseUrl, token);
}

function stepInput(example: { example: string }): Record<string, any> {
  return yaml.parse(example.example).steps[0].input;
}

/** The file a diff is about (`+++ b/<path>`). */
function diffPath(diff: unknown): string {
  const match = /^\+\+\+ b\/(.+)$/m.exec(String(diff));
  assert.ok(match, `no +++ line in the diff:\n${diff}`);
  return match[1];
}

/** Asserts `error` is an InputError whose message matches `pattern`. */
function inputError(pattern: RegExp) {
  return (error: Error) => {
    assert.ok(error instanceof InputError, `${error.name}: ${error.message}`);
    assert.match(error.message, pattern);
    return true;
  };
}

describe('idp:application:create against the real service', () => {
  const action = () => createIdpApplicationCreateAction({ client: client(), auth: backstage });

  for (const [index, example] of createExamples.entries()) {
    it(`runs example ${index + 1} for real: the manifest on a new branch, main untouched`, async () => {
      const input = stepInput(example);
      const { outputs } = await runAction(action(), input);
      // Named after the change: readable, then a hash of what it writes (docs/self-service.md).
      const branch = String(outputs.branch);
      assert.match(branch, new RegExp(`^idp/create-${input.name}-[0-9a-f]{10}$`));
      assert.equal(outputs.pullRequestUrl, undefined, 'a plain git remote has no pull request');
      assert.equal(outputs.changed, true);
      const file = diffPath(outputs.diff);
      assert.equal(file, `apps/${input.system}/${input.name}.yaml`);
      assert.ok(theService().branches().has(branch), `${branch} is not in the bare repository`);
      assert.deepEqual(theService().changedFiles(branch), [file]);
      const written = theService().fileAt(branch, file);
      const added = String(outputs.diff).split('\n').filter(line => line.startsWith('+') && !line.startsWith('+++'));
      assert.equal(written, `${added.map(line => line.slice(1)).join('\n')}\n`, 'the branch holds what the diff shows');
      const manifest = yaml.parse(written);
      assert.equal(manifest.metadata.name, input.name);
      assert.equal(manifest.metadata.owner, input.owner);
      assert.deepEqual(manifest.spec.environments, input.environments);
      assert.throws(() => theService().fileAt('main', file), /does not exist|exists on disk, but not in/);
      const [entry] = await theService().audit({ action: 'create-application' });
      assert.equal(entry.actor, ALICE);
      assert.equal(entry.outcome, 'succeeded');
      assert.equal(entry.branch, branch);
      assert.deepEqual(entry.inputs.requestedByGroups, ALICE_GROUPS);
    });
  }

  it('dry-runs: the diff of the new manifest, no branch anywhere', async () => {
    const branchesBefore = theService().branches();
    const input = { name: 'ledger-exporter', system: 'payments', owner: 'team-payments', type: 'service', sourceRepository: 'acme/ledger-exporter', image: 'registry.acme.example/ledger-exporter' };
    const { outputs } = await runAction(action(), input, { isDryRun: true });
    assert.equal(diffPath(outputs.diff), 'apps/payments/ledger-exporter.yaml');
    assert.match(String(outputs.diff), /^\+  name: ledger-exporter$/m);
    assert.equal(outputs.branch, undefined);
    assert.equal(outputs.pullRequestUrl, undefined);
    assert.deepEqual(theService().branches(), branchesBefore);
    const [entry] = await theService().audit({ action: 'create-application' });
    assert.equal(entry.dryRun, true);
    assert.equal(entry.outcome, 'succeeded');
  });

  it('takes requestedBy from the user entity when the task has no ref', async () => {
    const input = { name: 'refund-worker', system: 'payments', owner: 'team-payments', type: 'service', sourceRepository: 'acme/refund-worker', image: 'registry.acme.example/refund-worker' };
    await runAction(action(), input, { isDryRun: true, user: { entity: TEST_USER } });
    const [entry] = await theService().audit({ action: 'create-application' });
    assert.equal(entry.actor, ALICE);
    assert.deepEqual(entry.inputs.requestedByGroups, ALICE_GROUPS);
  });

  it('409 for a name the catalog has: an InputError with the service message', async () => {
    const input = { name: 'payments-api', system: 'payments', owner: 'team-payments', type: 'service', sourceRepository: 'acme/payments-api', image: 'registry.acme.example/payments-api' };
    await assert.rejects(
      runAction(action(), input),
      inputError(/^create-application: an application named 'payments-api' exists already \(apps\/payments\/payments-api\.yaml\) \(conflict\)$/),
    );
  });

  it('422 for a version the service refuses, and for a manifest its rules refuse (path:line:column)', async () => {
    const base = { name: 'refund-api2', system: 'payments', owner: 'team-payments', type: 'service', sourceRepository: 'acme/r', image: 'registry.acme.example/r' };
    await assert.rejects(
      runAction(action(), { ...base, environments: { dev: { version: 'not a version!' } } }),
      inputError(/body\.environments\.dev\.version: String should match pattern .*\(invalid_request\)/),
    );
    await assert.rejects(
      runAction(action(), { ...base, environments: { qa: { version: '1.0.0' } } }),
      inputError(/apps\/payments\/refund-api2\.yaml:\d+:\d+: unknown environment 'qa'; configured environments: dev, staging, prod \(manifest_invalid\)$/),
    );
  });

  it('401 for a token the service does not know', async () => {
    const wrong = createIdpApplicationCreateAction({ client: client('not-the-token-0123456789'), auth: backstage });
    await assert.rejects(runAction(wrong, { name: 'x', system: 'y', owner: 'z', type: 'service' }), inputError(/not one of the configured auth\.tokens/));
  });

  it('a 5xx (the remote refuses the push) is a plain error with the service message', async () => {
    const input = { name: REFUSED_BRANCH_PART, system: 'payments', owner: 'team-payments', type: 'service', sourceRepository: 'acme/r', image: 'registry.acme.example/r' };
    await assert.rejects(runAction(action(), input), (error: Error) => {
      assert.ok(!(error instanceof InputError), `${error.name}: ${error.message}`);
      assert.match(error.message, /answered HTTP 502: cannot push 'idp\/create-refused-by-hook-[0-9a-f]{10}' .*pre-receive hook declined.* \(git_write_failed\)/);
      return true;
    });
    assert.ok(![...theService().branches().keys()].some(name => name.includes(REFUSED_BRANCH_PART)));
    const [entry] = await theService().audit({ action: 'create-application' });
    assert.equal(entry.outcome, 'failed');
  });
});

describe('idp:image:promote against the real service', () => {
  const action = () => createIdpImagePromoteAction({ client: client(), auth: backstage });

  for (const [index, example] of promoteExamples.entries()) {
    it(`runs example ${index + 1} for real: a branch with exactly the version line changed`, async () => {
      const input = stepInput(example);
      const { outputs } = await runAction(action(), input);
      const file = diffPath(outputs.diff);
      const before = theService().fileAt('main', file);
      const versions = environmentsOf(before, input.application);
      const [from, to] = [versions[input.from].version, versions[input.to].version];
      assert.notEqual(from, to, 'the example must change something');
      const branch = String(outputs.branch);
      const readable = `idp/promote-${input.application}-${input.to}-${from}`.replace(/\./g, '\\.');
      assert.match(branch, new RegExp(`^${readable}-[0-9a-f]{10}$`));
      assert.equal(outputs.changed, true);
      assert.ok(theService().branches().has(branch), `${branch} is not in the bare repository`);
      assert.deepEqual(theService().changedFiles(branch), [file]);
      const beforeLines = before.split('\n');
      const afterLines = theService().fileAt(branch, file).split('\n');
      assert.equal(afterLines.length, beforeLines.length);
      const changed = beforeLines.flatMap((line, i) => (line === afterLines[i] ? [] : [i]));
      assert.equal(changed.length, 1, `lines changed: ${changed.map(i => `${beforeLines[i]} -> ${afterLines[i]}`).join('; ')}`);
      const [line] = changed;
      assert.match(beforeLines[line], new RegExp(`"${from.replace(/\./g, '\\.')}"|"${to.replace(/\./g, '\\.')}"`));
      assert.equal(afterLines[line], beforeLines[line].replace(`"${to}"`, `"${from}"`), 'only the version changed');
      assert.equal(environmentsOf(afterLines.join('\n'), input.application)[input.to].version, from);
      assert.match(String(outputs.diff), new RegExp(`^-.*"${to.replace(/\./g, '\\.')}"`, 'm'));
      const [entry] = await theService().audit({ action: 'promote-image' });
      assert.equal(entry.outcome, 'succeeded');
      assert.deepEqual(entry.inputs.requestedByGroups, ALICE_GROUPS);
    });
  }

  it('dry-runs: the diff of the version line, no branch anywhere', async () => {
    const branchesBefore = theService().branches();
    const { outputs } = await runAction(action(), { application: 'fraud-scoring', from: 'dev', to: 'staging' }, { isDryRun: true });
    assert.match(String(outputs.diff), /^-    staging: \{version: "0\.8\.1"\}$/m);
    assert.match(String(outputs.diff), /^\+    staging: \{version: "0\.9\.0"\}$/m);
    assert.equal(outputs.branch, undefined);
    assert.deepEqual(theService().branches(), branchesBefore);
  });

  it('403 into a protected environment for a signed-in user outside its promoters: the groups in the body are not believed', async () => {
    const input = { application: 'payments-api', from: 'staging', to: 'prod' };
    await assert.rejects(
      runAction(action(), input, { user: BOB_USER, credentials: userCredentials(BOB) }),
      inputError(
        new RegExp(
          `^promote-image: 'prod' is protected: only ${PROD} may promote into it, and '${BOB}' is none of them \\(the Backstage token names its user only, not the user's groups: list the user in promotion.protected\\) \\(forbidden\\)$`,
        ),
      ),
    );
    const [entry] = await theService().audit({ action: 'promote-image' });
    assert.equal(entry.outcome, 'rejected');
    assert.equal(entry.actor, BOB);
    assert.deepEqual(entry.inputs.requestedByGroups, ['group:default/team-platform']);
  });

  it('a task started by a service (no signed-in user) is an InputError, and nothing reaches the service', async () => {
    const before = (await theService().audit()).length;
    await assert.rejects(
      runAction(action(), { application: 'payments-api', from: 'dev' }, { user: undefined, credentials: serviceCredentials('external:ci'), isDryRun: true }),
      inputError(/^promote-image: the task has no signed-in user \(it runs as service external:ci\)/),
    );
    assert.equal((await theService().audit()).length, before);
  });

  it('a token another Backstage signed is refused by the service (401): an InputError', async () => {
    const stranger = createIdpImagePromoteAction({ client: client(), auth: new TestBackstageAuth() });
    await assert.rejects(
      runAction(stranger, { application: 'payments-api', from: 'dev' }, { isDryRun: true }),
      inputError(/^promote-image: X-Backstage-Token is refused: Signature verification failed \(unauthorized\)$/),
    );
  });

  it('409 when the source runs another version than the one named', async () => {
    const input = { application: 'ledger-api', from: 'dev', to: 'staging', version: '9.9.9' };
    await assert.rejects(runAction(action(), input), inputError(/'ledger-api' runs '3\.2\.0' in 'dev', not '9\.9\.9'.*\(conflict\)/));
  });

  it('404 for an application the catalog does not have', async () => {
    await assert.rejects(runAction(action(), { application: 'nope', from: 'dev' }), inputError(/no application named 'nope' in the catalog \(not_found\)/));
  });
});

/** `spec.environments` of the Application named `name` in a (multi-document) manifest file. */
function environmentsOf(text: string, name: string): Record<string, { version: string }> {
  const documents = yaml.parseAllDocuments(text).map(document => document.toJS());
  const application = documents.find(document => document?.metadata?.name === name);
  assert.ok(application, `no Application ${name}`);
  return application.spec.environments;
}

describe('idp:image:set-version against the real service', () => {
  const action = () => createIdpImageSetVersionAction({ client: client(), auth: backstage });

  it('dry-runs: the diff of the first environment\'s version line, nothing pushed', async () => {
    const branchesBefore = theService().branches();
    const input = { application: 'fraud-scoring', version: '0.9.1' };
    const { outputs } = await runAction(action(), input, { isDryRun: true });
    assert.match(String(outputs.diff), /^\+    dev: +\{version: "0\.9\.1"\}$/m);
    assert.equal(outputs.changed, true);
    assert.deepEqual(theService().branches(), branchesBefore, 'no branch moved, main included');
  });

  for (const [index, example] of setVersionExamples.entries()) {
    it(`runs example ${index + 1} for real: one commit on main changing exactly the dev version line`, async () => {
      const input = stepInput(example);
      const mainBefore = theService().branches().get('main');
      const { outputs } = await runAction(action(), input);
      assert.equal(outputs.changed, true);
      assert.equal(outputs.branch, 'main', 'a direct commit on the GitOps branch (no pull request configured)');
      const file = diffPath(outputs.diff);
      assert.ok(mainBefore && theService().branches().get('main') !== mainBefore, 'main moved');
      const before = theService().fileAt(mainBefore, file).split('\n');
      const after = theService().fileAt('main', file).split('\n');
      assert.equal(after.length, before.length);
      assert.equal(before.filter((line, i) => line !== after[i]).length, 1, 'one line changed');
      assert.equal(environmentsOf(theService().fileAt('main', file), input.application).dev.version, input.version);
      const [entry] = await theService().audit({ action: 'set-version' });
      assert.equal(entry.outcome, 'succeeded');
      assert.equal(entry.actor, ALICE);
    });
  }

  it('400 for an environment that is not the first: an InputError naming the first', async () => {
    const input = { application: 'payments-api', version: '9.9.9', environment: 'prod' };
    await assert.rejects(runAction(action(), input), inputError(/sets the first environment only \('dev'\), not 'prod'/));
  });
});

describe('idp:database:copy against the real service', () => {
  const action = () => createIdpDatabaseCopyAction({ client: client(), auth: backstage });

  for (const [index, example] of copyExamples.entries()) {
    it(`runs example ${index + 1} for real: a branch adding the copy under the target environment, with its expiry`, async () => {
      const input = stepInput(example);
      const started = Date.now();
      const { outputs } = await runAction(action(), input);
      const hours = input.hours ?? 72;
      const expiresAt = Date.parse(String(outputs.expiresAt));
      assert.match(String(outputs.expiresAt), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, 'ISO 8601 UTC, to the second');
      assert.ok(Math.abs(expiresAt - (started + hours * 3_600_000)) < 120_000, `${outputs.expiresAt} is not ${hours} h from now`);
      assert.equal(outputs.changed, true);
      const branch = String(outputs.branch);
      assert.ok(theService().branches().has(branch), `${branch} is not in the bare repository`);
      const file = diffPath(outputs.diff);
      assert.deepEqual(theService().changedFiles(branch), [file]);
      const environments = environmentsOf(theService().fileAt(branch, file), input.application) as Record<string, any>;
      assert.deepEqual(environments[input.to].copies, [{ component: input.component, from: input.from, expiresAt: outputs.expiresAt }]);
      assert.equal(environmentsOf(theService().fileAt('main', file), input.application)[input.to].version, environments[input.to].version);
      const [entry] = await theService().audit({ action: 'copy-database' });
      assert.equal(entry.outcome, 'succeeded');
      assert.equal(entry.actor, ALICE);
      assert.equal(entry.branch, branch);
    });
  }

  it('dry-runs: the diff of the copies lines and the expiry, no branch anywhere', async () => {
    const branchesBefore = theService().branches();
    const input = { application: 'ledger-api', component: 'db', from: 'prod', to: 'dev', hours: 5 };
    const { outputs } = await runAction(action(), input, { isDryRun: true });
    assert.equal(diffPath(outputs.diff), 'apps/payments/ledger.yaml');
    assert.match(String(outputs.diff), /^\+ +copies:/m);
    assert.match(String(outputs.diff), /^\+.*component: db/m);
    assert.ok(outputs.expiresAt, 'a dry run says when the copy would expire');
    assert.equal(outputs.branch, undefined);
    assert.deepEqual(theService().branches(), branchesBefore);
    const [entry] = await theService().audit({ action: 'copy-database' });
    assert.equal(entry.dryRun, true);
  });

  it('4xx for a component that is not a database, and for hours beyond copies.maxHours: InputErrors with the service message', async () => {
    const base = { application: 'payments-api', from: 'prod', to: 'staging' };
    await assert.rejects(runAction(action(), { ...base, component: 'cache', hours: 24 }, { isDryRun: true }), inputError(/^copy-database: .*cache.*\([a-z_]+\)$/));
    await assert.rejects(runAction(action(), { ...base, component: 'db', hours: 1000 }, { isDryRun: true }), inputError(/^copy-database: .*\b72\b.*\([a-z_]+\)$/));
    await assert.rejects(runAction(action(), { ...base, component: 'db', hours: 0 }, { isDryRun: true }), inputError(/^copy-database: .*hours/));
  });

  it('404 for an application the catalog does not have', async () => {
    const input = { application: 'nope', component: 'db', from: 'prod', to: 'staging', hours: 24 };
    await assert.rejects(runAction(action(), input), inputError(/no application named 'nope'.*\(not_found\)$/));
  });
});

describe('idp:application:restart against the real service and an Argo CD double', () => {
  let argocd: ArgoCdDouble | undefined;
  let restartService: ActionsService | undefined;
  before(async () => {
    argocd = await startArgoCdDouble();
    restartService = await startActionsService(
      {
        argocd: { url: argocd.url, token: argocd.token, timeoutSeconds: 2 },
        restart: { protected: { prod: [PROD_PROMOTERS, ALICE] } },
      },
      { backstage: identity },
    );
  });
  after(async () => {
    await restartService?.stop();
    await argocd?.stop();
  });

  function double(): ArgoCdDouble {
    assert.ok(argocd && restartService, 'the Argo CD double or the catalog service did not start');
    argocd.down = false;
    argocd.failing.clear();
    return argocd;
  }
  const action = () => createIdpApplicationRestartAction({ client: new IdpServiceClient(restartService!.baseUrl, restartService!.token), auth: backstage });
  const audit = async () => (await restartService!.audit({ action: 'restart-application' }))[0];

  for (const [index, example] of restartExamples.entries()) {
    it(`runs example ${index + 1} for real: Argo CD restarts each Deployment of <application>-<environment>`, async () => {
      const argo = double();
      const input = stepInput(example);
      const argoName = `${input.application}-${input.environment}`;
      const before = argo.restarts.length;
      const { outputs } = await runAction(action(), input);
      const deployments = argo.applications.get(argoName)!.nodes.filter(n => n.kind === 'Deployment');
      const expected = deployments.map(d => ({ kind: 'Deployment', name: d.name, namespace: d.namespace }));
      assert.equal(outputs.argocdApplication, argoName);
      assert.deepEqual(sortByName(outputs.restarted as any[]), sortByName(expected));
      assert.equal(outputs.changed, true);
      const asked = argo.restarts.slice(before).map(r => ({ kind: r.kind, name: r.name, namespace: r.namespace }));
      assert.deepEqual(sortByName(asked), sortByName(expected), 'Argo CD was asked to restart exactly those, once each');
      assert.ok(argo.restarts.slice(before).every(r => r.application === argoName));
      const entry = await audit();
      assert.equal(entry.outcome, 'succeeded');
      assert.equal(entry.actor, ALICE);
      assert.equal(entry.dryRun, false);
    });
  }

  it('dry-runs: names the Deployments it would restart, asks Argo CD to restart nothing', async () => {
    const argo = double();
    const before = argo.restarts.length;
    const { outputs } = await runAction(action(), { application: 'checkout-api', environment: 'staging' }, { isDryRun: true });
    assert.deepEqual((outputs.restarted as any[]).map(r => r.name).sort(), ['checkout-api', 'checkout-api-worker']);
    assert.equal(argo.restarts.length, before, 'a dry run restarted something');
    assert.equal((await audit()).dryRun, true);
  });

  it('403 in protected prod for a user outside restart.protected: the groups in the body are not believed', async () => {
    const argo = double();
    const before = argo.restarts.length;
    await assert.rejects(
      runAction(action(), { application: 'payments-api', environment: 'prod' }, { user: BOB_USER, credentials: userCredentials(BOB) }),
      inputError(/^restart-application: .*'prod' is protected.*\(forbidden\)$/),
    );
    assert.equal(argo.restarts.length, before);
    const entry = await audit();
    assert.deepEqual([entry.actor, entry.outcome], [BOB, 'rejected']);
  });

  it('404 for an environment the application does not list, and for an unknown application', async () => {
    double();
    await assert.rejects(runAction(action(), { application: 'payments-api', environment: 'qa' }), inputError(/\(not_found\)$/));
    await assert.rejects(runAction(action(), { application: 'nope', environment: 'dev' }), inputError(/'nope'.*\(not_found\)$/));
  });

  it('409 no_deployment when the Argo CD application has no Deployment: nothing silently succeeds', async () => {
    const argo = double();
    const before = argo.restarts.length;
    await assert.rejects(runAction(action(), { application: 'ledger-api', environment: 'dev' }), inputError(/ledger-api-dev.*\(no_deployment\)$/));
    assert.equal(argo.restarts.length, before);
  });

  it("Argo CD refusing is a plain error quoting Argo CD's message (502), and an audit row failed", async () => {
    const argo = double();
    argo.failing.set('payments-api-staging', { status: 403, message: 'permission denied: applications, action/apps/Deployment/restart, default/payments-api-staging' });
    await assert.rejects(runAction(action(), { application: 'payments-api', environment: 'staging' }), (error: Error) => {
      assert.ok(!(error instanceof InputError), `${error.name}: ${error.message}`);
      assert.match(error.message, /^restart-application: the IDP catalog service answered HTTP 502: .*permission denied: applications, action\/apps\/Deployment\/restart.*\(argocd_failed\)$/);
      return true;
    });
    assert.equal((await audit()).outcome, 'failed');
  });

  it('Argo CD unreachable is a plain error (503 argocd_unavailable), and an audit row failed', async () => {
    const argo = double();
    argo.down = true;
    try {
      await assert.rejects(runAction(action(), { application: 'payments-api', environment: 'staging' }), (error: Error) => {
        assert.ok(!(error instanceof InputError), `${error.name}: ${error.message}`);
        assert.match(error.message, /^restart-application: the IDP catalog service answered HTTP 503: .*\(argocd_unavailable\)$/);
        return true;
      });
    } finally {
      argo.down = false;
    }
    assert.equal((await audit()).outcome, 'failed');
  });
});

function sortByName<T extends { name: string }>(items: T[]): T[] {
  return [...items].sort((a, b) => a.name.localeCompare(b.name));
}
