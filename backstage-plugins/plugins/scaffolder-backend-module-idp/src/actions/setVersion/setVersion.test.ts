// The action alone: its schema, and what it does before or without reaching the service. Its runs
// against the real service are in backstage-plugins/test/actions.test.ts.
import { InputError } from '@backstage/errors';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import yaml from 'yaml';
import { IdpServiceClient } from '../../service/IdpServiceClient';
import { runAction } from '../../testing/actionContext';
import { TestBackstageAuth } from '../../testing/backstageAuth';
import { closedPortUrl } from '../../testing/closedPort';
import { strictInput, undescribed } from '../../testing/schemas';
import { createIdpImageSetVersionAction, setVersionInput } from './setVersion';
import { examples } from './setVersion.examples';

describe('idp:image:set-version', () => {
  it('describes every input and output field and supports dry runs', () => {
    const action = createIdpImageSetVersionAction({ client: new IdpServiceClient('http://127.0.0.1:1', 'unused'), auth: new TestBackstageAuth() });
    assert.equal(action.id, 'idp:image:set-version');
    assert.equal(action.supportsDryRun, true);
    assert.deepEqual(undescribed(action.schema?.input), []);
    assert.deepEqual(undescribed(action.schema?.output), []);
    assert.deepEqual((action.schema?.input as any).required.sort(), ['application', 'version']);
  });

  it('has examples whose inputs its schema takes', () => {
    assert.ok(examples.length >= 2);
    for (const example of examples) {
      const [step] = yaml.parse(example.example).steps;
      assert.equal(step.action, 'idp:image:set-version');
      strictInput(setVersionInput).parse(step.input);
    }
  });

  it('fails as an error, not an InputError, when the service cannot be reached', async () => {
    const action = createIdpImageSetVersionAction({ client: new IdpServiceClient(await closedPortUrl(), 'a-token-0123456789abcdef'), auth: new TestBackstageAuth() });
    await assert.rejects(runAction(action, { application: 'payments-api', version: '1.0.0' }), (error: Error) => {
      assert.ok(!(error instanceof InputError), `${error.name}: ${error.message}`);
      assert.match(error.message, /cannot reach the IDP catalog service at http:\/\/127\.0\.0\.1:\d+\/api\/v1\/actions\/set-version/);
      return true;
    });
  });
});
