import { InputError } from '@backstage/errors';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import yaml from 'yaml';
import { IdpServiceClient } from '../../service/IdpServiceClient';
import { runAction } from '../../testing/actionContext';
import { strictInput, undescribed } from '../../testing/schemas';
import {
  BROKEN_NAME,
  CONFLICTING_NAME,
  STAND_IN_TOKEN,
  startServiceStandIn,
  type ServiceStandIn,
} from '../../testing/serviceStandIn';
import { createApplicationInput, createIdpApplicationCreateAction } from './createApplication';
import { examples } from './createApplication.examples';

const ALICE = {
  requestedBy: 'user:default/alice',
  requestedByGroups: ['group:default/team-payments', 'group:default/team-platform'],
};

describe('idp:application:create', () => {
  let service: ServiceStandIn;
  let action: ReturnType<typeof createIdpApplicationCreateAction>;
  before(async () => {
    service = await startServiceStandIn();
    action = createIdpApplicationCreateAction({ client: new IdpServiceClient(`${service.baseUrl}/`, STAND_IN_TOKEN) });
  });
  after(() => service.close());

  it('describes every input and output field and supports dry runs', () => {
    assert.equal(action.id, 'idp:application:create');
    assert.equal(action.supportsDryRun, true);
    assert.deepEqual(undescribed(action.schema?.input), []);
    assert.deepEqual(undescribed(action.schema?.output), []);
    assert.deepEqual((action.schema?.input as any).required.sort(), ['name', 'owner', 'system', 'type']);
  });

  for (const [index, example] of examples.entries()) {
    it(`runs example ${index + 1}: ${example.description}`, async () => {
      const [step] = yaml.parse(example.example).steps;
      assert.equal(step.action, action.id);
      const input = strictInput(createApplicationInput).parse(step.input);
      const before = service.received.length;
      const { outputs } = await runAction(action, input);
      assert.deepEqual(service.received.slice(before), [
        {
          action: 'create-application',
          authorization: `Bearer ${STAND_IN_TOKEN}`,
          body: { ...step.input, ...ALICE, dryRun: false },
        },
      ]);
      assert.equal(outputs.branch, `idp/create-application/${step.input.name}`);
      assert.match(String(outputs.pullRequestUrl), /^https:\/\/github\.com\/acme\/gitops\/pull\/\d+$/);
      assert.match(String(outputs.diff), new RegExp(`\\+  name: ${step.input.name}`));
      assert.equal(outputs.changed, true);
    });
  }

  it('asks for a dry run on a dry run and outputs the diff, no pull request', async () => {
    const input = { name: 'ledger-api', system: 'payments', owner: 'team-payments', type: 'service' };
    const { outputs } = await runAction(action, input, { isDryRun: true });
    assert.deepEqual(service.received.at(-1)?.body, { ...input, ...ALICE, dryRun: true });
    assert.match(String(outputs.diff), /\+\+\+ b\/apps\/payments\/ledger-api\.yaml/);
    assert.equal(outputs.pullRequestUrl, undefined);
    assert.equal(outputs.branch, undefined);
  });

  it("turns the service's 4xx into an InputError with its message", async () => {
    const input = { name: CONFLICTING_NAME, system: 'payments', owner: 'team-payments', type: 'service' };
    await assert.rejects(runAction(action, input), (error: Error) => {
      assert.ok(error instanceof InputError, `${error.name}: ${error.message}`);
      assert.match(error.message, /an application named already-there already exists/);
      return true;
    });
  });

  it('turns a 5xx into a plain error', async () => {
    const input = { name: BROKEN_NAME, system: 'payments', owner: 'team-payments', type: 'service' };
    await assert.rejects(runAction(action, input), (error: Error) => {
      assert.ok(!(error instanceof InputError));
      assert.match(error.message, /HTTP 500: something broke/);
      return true;
    });
  });

  it('refuses to run for a task without a user, sending nothing', async () => {
    const count = service.received.length;
    const input = { name: 'x', system: 'y', owner: 'z', type: 'service' };
    await assert.rejects(runAction(action, input, { user: undefined }), /no user/);
    assert.equal(service.received.length, count);
  });

  it('reports a refused token with the service message', async () => {
    const wrong = createIdpApplicationCreateAction({ client: new IdpServiceClient(service.baseUrl, 'wrong-token') });
    const input = { name: 'x', system: 'y', owner: 'z', type: 'service' };
    await assert.rejects(runAction(wrong, input), /a valid bearer token is required/);
  });
});
