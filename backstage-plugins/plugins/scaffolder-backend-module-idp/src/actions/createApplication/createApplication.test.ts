// The action alone: its schema, and what it does before or without reaching the service. Its runs
// against the real service (examples, dry and real runs, the service's refusals) are in
// backstage-plugins/test/actions.test.ts, which starts the Python service.
import { InputError } from '@backstage/errors';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import yaml from 'yaml';
import { IdpServiceClient } from '../../service/IdpServiceClient';
import { runAction } from '../../testing/actionContext';
import { serviceCredentials, TestBackstageAuth } from '../../testing/backstageAuth';
import { closedPortUrl } from '../../testing/closedPort';
import { strictInput, undescribed } from '../../testing/schemas';
import { createApplicationInput, createIdpApplicationCreateAction } from './createApplication';
import { examples } from './createApplication.examples';

const INPUT = { name: 'refund-api', system: 'payments', owner: 'team-payments', type: 'service' };

describe('idp:application:create', () => {
  it('describes every input and output field and supports dry runs', () => {
    const action = createIdpApplicationCreateAction({ client: new IdpServiceClient('http://127.0.0.1:1', 'unused'), auth: new TestBackstageAuth() });
    assert.equal(action.id, 'idp:application:create');
    assert.equal(action.supportsDryRun, true);
    assert.deepEqual(undescribed(action.schema?.input), []);
    assert.deepEqual(undescribed(action.schema?.output), []);
    assert.deepEqual((action.schema?.input as any).required.sort(), ['name', 'owner', 'system', 'type']);
  });

  it('has examples whose inputs its schema takes', () => {
    assert.ok(examples.length >= 2);
    for (const example of examples) {
      const [step] = yaml.parse(example.example).steps;
      assert.equal(step.action, 'idp:application:create');
      strictInput(createApplicationInput).parse(step.input);
    }
  });

  it('refuses to run for a task without a user, before calling the service', async () => {
    // Nothing listens there: a call would fail with "cannot reach", not with "no user".
    const action = createIdpApplicationCreateAction({ client: new IdpServiceClient(await closedPortUrl(), 'a-token-0123456789abcdef'), auth: new TestBackstageAuth() });
    await assert.rejects(runAction(action, INPUT, { user: undefined }), (error: Error) => {
      assert.ok(error instanceof InputError, `${error.name}: ${error.message}`);
      assert.match(error.message, /^the task has no signed-in user: the IDP actions need to know who asked$/);
      return true;
    });
  });

  it('answers a task started by a service (a dry run with a service token) with an InputError that says so', async () => {
    const action = createIdpApplicationCreateAction({ client: new IdpServiceClient(await closedPortUrl(), 'a-token-0123456789abcdef'), auth: new TestBackstageAuth() });
    const options = { user: undefined, credentials: serviceCredentials('external:ci'), isDryRun: true };
    await assert.rejects(runAction(action, INPUT, options), (error: Error) => {
      assert.ok(error instanceof InputError, `${error.name}: ${error.message}`);
      assert.equal(
        error.message,
        'create-application: the task has no signed-in user (it runs as service external:ci): the IDP actions need to know who asked; run the template as a signed-in user, not with a service token',
      );
      return true;
    });
  });

  it('fails as an error, not an InputError, when the service cannot be reached', async () => {
    const action = createIdpApplicationCreateAction({ client: new IdpServiceClient(await closedPortUrl(), 'a-token-0123456789abcdef'), auth: new TestBackstageAuth() });
    await assert.rejects(runAction(action, INPUT), (error: Error) => {
      assert.ok(!(error instanceof InputError), `${error.name}: ${error.message}`);
      assert.match(error.message, /cannot reach the IDP catalog service at http:\/\/127\.0\.0\.1:\d+\/api\/v1\/actions\/[a-z-]+: connect ECONNREFUSED/);
      return true;
    });
  });
});
