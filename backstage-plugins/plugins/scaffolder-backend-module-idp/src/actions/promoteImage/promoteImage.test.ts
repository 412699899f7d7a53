import { InputError } from '@backstage/errors';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import yaml from 'yaml';
import { IdpServiceClient } from '../../service/IdpServiceClient';
import { runAction, TEST_USER } from '../../testing/actionContext';
import { strictInput, undescribed } from '../../testing/schemas';
import { BROKEN_NAME, CONFLICTING_NAME, STAND_IN_TOKEN, startServiceStandIn, type ServiceStandIn } from '../../testing/serviceStandIn';
import { createIdpImagePromoteAction, promoteImageInput } from './promoteImage';
import { examples } from './promoteImage.examples';

describe('idp:image:promote', () => {
  let service: ServiceStandIn;
  let action: ReturnType<typeof createIdpImagePromoteAction>;
  before(async () => {
    service = await startServiceStandIn();
    action = createIdpImagePromoteAction({ client: new IdpServiceClient(service.baseUrl, STAND_IN_TOKEN) });
  });
  after(() => service.close());

  it('describes every input and output field and supports dry runs', () => {
    assert.equal(action.id, 'idp:image:promote');
    assert.equal(action.supportsDryRun, true);
    assert.deepEqual(undescribed(action.schema?.input), []);
    assert.deepEqual(undescribed(action.schema?.output), []);
    assert.deepEqual((action.schema?.input as any).required.sort(), ['application', 'from']);
  });

  for (const [index, example] of examples.entries()) {
    it(`runs example ${index + 1}: ${example.description}`, async () => {
      const [step] = yaml.parse(example.example).steps;
      assert.equal(step.action, action.id);
      const input = strictInput(promoteImageInput).parse(step.input);
      const { outputs } = await runAction(action, input);
      assert.deepEqual(service.received.at(-1), {
        action: 'promote-image',
        authorization: `Bearer ${STAND_IN_TOKEN}`,
        body: {
          ...step.input,
          requestedBy: 'user:default/alice',
          requestedByGroups: ['group:default/team-payments', 'group:default/team-platform'],
          dryRun: false,
        },
      });
      assert.equal(outputs.branch, `idp/promote-image/${step.input.application}`);
      assert.match(String(outputs.pullRequestUrl), /\/pull\/\d+$/);
      assert.match(String(outputs.diff), new RegExp(`\\+    ${step.input.to}: `));
      assert.equal(outputs.changed, true);
    });
  }

  it('asks for a dry run on a dry run and outputs the diff, no pull request', async () => {
    const input = { application: 'payments-api', from: 'dev', to: 'staging' };
    const { outputs } = await runAction(action, input, { isDryRun: true });
    assert.equal(service.received.at(-1)?.body.dryRun, true);
    assert.match(String(outputs.diff), /\+    staging: /);
    assert.equal(outputs.pullRequestUrl, undefined);
  });

  it('takes requestedBy from the user entity when the task has no ref', async () => {
    await runAction(action, { application: 'payments-api', from: 'dev', to: 'staging' }, {
      user: { entity: { ...TEST_USER, relations: [] } },
    });
    const body = service.received.at(-1)?.body;
    assert.equal(body?.requestedBy, 'user:default/alice');
    assert.deepEqual(body?.requestedByGroups, ['group:default/team-payments']);
  });

  it("turns the service's 4xx into an InputError with its message", async () => {
    const input = { application: CONFLICTING_NAME, from: 'dev', to: 'staging' };
    await assert.rejects(runAction(action, input), (error: Error) => error instanceof InputError && /already exists/.test(error.message));
  });

  it('turns a 5xx into a plain error', async () => {
    const input = { application: BROKEN_NAME, from: 'dev', to: 'staging' };
    await assert.rejects(runAction(action, input), (error: Error) => !(error instanceof InputError) && /HTTP 500/.test(error.message));
  });
});
