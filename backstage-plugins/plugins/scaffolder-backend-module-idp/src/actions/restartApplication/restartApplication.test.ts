// The action alone: its schema, and what it does before or without reaching the service. Its runs
// against the real service (examples with an Argo CD double, dry runs, the service's refusals) are
// in backstage-plugins/test/actions.test.ts.
import { InputError } from '@backstage/errors';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import yaml from 'yaml';
import { IdpServiceClient } from '../../service/IdpServiceClient';
import { runAction } from '../../testing/actionContext';
import { serviceCredentials, TestBackstageAuth } from '../../testing/backstageAuth';
import { closedPortUrl } from '../../testing/closedPort';
import { strictInput, undescribed } from '../../testing/schemas';
import { createIdpApplicationRestartAction, restartApplicationInput } from './restartApplication';
import { examples } from './restartApplication.examples';

describe('idp:application:restart', () => {
  it('describes every input and output field and supports dry runs', () => {
    const action = createIdpApplicationRestartAction({ client: new IdpServiceClient('http://127.0.0.1:1', 'unused'), auth: new TestBackstageAuth() });
    assert.equal(action.id, 'idp:application:restart');
    assert.equal(action.supportsDryRun, true);
    assert.deepEqual(undescribed(action.schema?.input), []);
    assert.deepEqual(undescribed(action.schema?.output), []);
    assert.deepEqual((action.schema?.input as any).required.sort(), ['application', 'environment']);
    assert.deepEqual(Object.keys((action.schema?.output as any).properties).sort(), ['argocdApplication', 'changed', 'restarted']);
  });

  it('has examples whose inputs its schema takes', () => {
    assert.ok(examples.length >= 2);
    for (const example of examples) {
      const [step] = yaml.parse(example.example).steps;
      assert.equal(step.action, 'idp:application:restart');
      strictInput(restartApplicationInput).parse(step.input);
    }
    assert.throws(() => strictInput(restartApplicationInput).parse({ application: 'payments-api' }), /environment/);
  });

  it('fails as an error, not an InputError, when the service cannot be reached', async () => {
    const action = createIdpApplicationRestartAction({ client: new IdpServiceClient(await closedPortUrl(), 'a-token-0123456789abcdef'), auth: new TestBackstageAuth() });
    await assert.rejects(runAction(action, { application: 'payments-api', environment: 'dev' }), (error: Error) => {
      assert.ok(!(error instanceof InputError), `${error.name}: ${error.message}`);
      assert.match(error.message, /^restart-application: cannot reach the IDP catalog service at http:\/\/127\.0\.0\.1:\d+\/api\/v1\/actions\/restart-application: connect ECONNREFUSED/);
      return true;
    });
  });

  it('a task without a signed-in user is an InputError before anything is sent', async () => {
    // The closed port would make any request fail differently: the InputError proves none was made.
    const action = createIdpApplicationRestartAction({ client: new IdpServiceClient(await closedPortUrl(), 'a-token-0123456789abcdef'), auth: new TestBackstageAuth() });
    await assert.rejects(
      runAction(action, { application: 'payments-api', environment: 'prod' }, { user: undefined, credentials: serviceCredentials() }),
      (error: Error) => {
        assert.ok(error instanceof InputError, `${error.name}: ${error.message}`);
        assert.match(error.message, /^restart-application: the task has no signed-in user \(it runs as service external:ci\)/);
        return true;
      },
    );
  });
});
