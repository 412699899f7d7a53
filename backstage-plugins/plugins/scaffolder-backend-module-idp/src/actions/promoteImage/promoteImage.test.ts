// The action alone: its schema, and what it does before or without reaching the service. Its runs
// against the real service (examples, dry and real runs, the service's refusals) are in
// backstage-plugins/test/actions.test.ts, which starts the Python service.
import { InputError } from '@backstage/errors';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import yaml from 'yaml';
import { IdpServiceClient } from '../../service/IdpServiceClient';
import { runAction } from '../../testing/actionContext';
import { TestBackstageAuth } from '../../testing/backstageAuth';
import { closedPortUrl } from '../../testing/closedPort';
import { strictInput, undescribed } from '../../testing/schemas';
import { createIdpImagePromoteAction, promoteImageInput } from './promoteImage';
import { examples } from './promoteImage.examples';

describe('idp:image:promote', () => {
  it('describes every input and output field and supports dry runs', () => {
    const action = createIdpImagePromoteAction({ client: new IdpServiceClient('http://127.0.0.1:1', 'unused'), auth: new TestBackstageAuth() });
    assert.equal(action.id, 'idp:image:promote');
    assert.equal(action.supportsDryRun, true);
    assert.deepEqual(undescribed(action.schema?.input), []);
    assert.deepEqual(undescribed(action.schema?.output), []);
    assert.deepEqual((action.schema?.input as any).required.sort(), ['application', 'from']);
  });

  it('has examples whose inputs its schema takes', () => {
    assert.ok(examples.length >= 2);
    for (const example of examples) {
      const [step] = yaml.parse(example.example).steps;
      assert.equal(step.action, 'idp:image:promote');
      strictInput(promoteImageInput).parse(step.input);
    }
  });

  it('fails as an error, not an InputError, when the service cannot be reached', async () => {
    const action = createIdpImagePromoteAction({ client: new IdpServiceClient(await closedPortUrl(), 'a-token-0123456789abcdef'), auth: new TestBackstageAuth() });
    const input = { application: 'payments-api', from: 'dev' };
    await assert.rejects(runAction(action, input), (error: Error) => {
      assert.ok(!(error instanceof InputError), `${error.name}: ${error.message}`);
      assert.match(error.message, /cannot reach the IDP catalog service at http:\/\/127\.0\.0\.1:\d+\/api\/v1\/actions\/[a-z-]+: connect ECONNREFUSED/);
      return true;
    });
  });
});
