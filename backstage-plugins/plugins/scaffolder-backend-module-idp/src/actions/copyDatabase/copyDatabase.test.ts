// The action alone: its schema, and what it does before or without reaching the service. Its runs
// against the real service (examples, dry and real runs, the service's refusals) are in
// backstage-plugins/test/actions.test.ts.
import { InputError } from '@backstage/errors';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import yaml from 'yaml';
import { IdpServiceClient } from '../../service/IdpServiceClient';
import { runAction } from '../../testing/actionContext';
import { TestBackstageAuth } from '../../testing/backstageAuth';
import { closedPortUrl } from '../../testing/closedPort';
import { strictInput, undescribed } from '../../testing/schemas';
import { copyDatabaseInput, createIdpDatabaseCopyAction } from './copyDatabase';
import { examples } from './copyDatabase.examples';

describe('idp:database:copy', () => {
  it('describes every input and output field and supports dry runs', () => {
    const action = createIdpDatabaseCopyAction({ client: new IdpServiceClient('http://127.0.0.1:1', 'unused'), auth: new TestBackstageAuth() });
    assert.equal(action.id, 'idp:database:copy');
    assert.equal(action.supportsDryRun, true);
    assert.deepEqual(undescribed(action.schema?.input), []);
    assert.deepEqual(undescribed(action.schema?.output), []);
    const input = action.schema?.input as any;
    assert.deepEqual(input.required.sort(), ['application', 'component', 'from', 'to']);
    assert.equal(input.properties.hours.type, 'integer');
    assert.deepEqual(Object.keys((action.schema?.output as any).properties).sort(), ['branch', 'changed', 'diff', 'expiresAt', 'pullRequestUrl']);
  });

  it('has examples whose inputs its schema takes; hours is a whole number', () => {
    assert.ok(examples.length >= 2);
    for (const example of examples) {
      const [step] = yaml.parse(example.example).steps;
      assert.equal(step.action, 'idp:database:copy');
      strictInput(copyDatabaseInput).parse(step.input);
    }
    const base = { application: 'payments-api', component: 'db', from: 'prod', to: 'staging' };
    assert.throws(() => strictInput(copyDatabaseInput).parse({ ...base, hours: '24' }), /Expected number, received string/);
    assert.throws(() => strictInput(copyDatabaseInput).parse({ ...base, hours: 1.5 }), /Expected integer/);
  });

  it('fails as an error, not an InputError, when the service cannot be reached', async () => {
    const action = createIdpDatabaseCopyAction({ client: new IdpServiceClient(await closedPortUrl(), 'a-token-0123456789abcdef'), auth: new TestBackstageAuth() });
    const input = { application: 'payments-api', component: 'db', from: 'prod', to: 'staging', hours: 24 };
    await assert.rejects(runAction(action, input), (error: Error) => {
      assert.ok(!(error instanceof InputError), `${error.name}: ${error.message}`);
      assert.match(error.message, /^copy-database: cannot reach the IDP catalog service at http:\/\/127\.0\.0\.1:\d+\/api\/v1\/actions\/copy-database: connect ECONNREFUSED/);
      return true;
    });
  });
});
