// Holds the actions' zod input schemas to the service's OpenAPI document (catalog-info/openapi.json,
// which tests/test_catalog_info.py keeps equal to what the service serves), so they cannot drift.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { IdpServiceClient } from '../service/IdpServiceClient';
import { TestBackstageAuth } from '../testing/backstageAuth';
import { actionRequestSchema, ADDED_BY_ACTION, schemaDifferences } from '../testing/openapiDrift';
import { createIdpDatabaseCopyAction } from './copyDatabase/copyDatabase';
import { createIdpApplicationCreateAction } from './createApplication/createApplication';
import { createIdpImagePromoteAction } from './promoteImage/promoteImage';
import { createIdpApplicationRestartAction } from './restartApplication/restartApplication';
import { createIdpImageSetVersionAction } from './setVersion/setVersion';

const OPENAPI = path.resolve(__dirname, '../../../../../catalog-info/openapi.json');
const document = JSON.parse(fs.readFileSync(OPENAPI, 'utf8'));
const client = new IdpServiceClient('http://127.0.0.1:1', 'unused-token-0123456789');
const actions = [
  { service: 'create-application', action: createIdpApplicationCreateAction({ client, auth: new TestBackstageAuth() }) },
  { service: 'promote-image', action: createIdpImagePromoteAction({ client, auth: new TestBackstageAuth() }) },
  { service: 'set-version', action: createIdpImageSetVersionAction({ client, auth: new TestBackstageAuth() }) },
  { service: 'restart-application', action: createIdpApplicationRestartAction({ client, auth: new TestBackstageAuth() }) },
  { service: 'copy-database', action: createIdpDatabaseCopyAction({ client, auth: new TestBackstageAuth() }) },
];

/** What a service whose request bodies match the actions exactly would declare (pydantic style). */
function matchingDocument(): Record<string, any> {
  const paths: Record<string, any> = {};
  const schemas: Record<string, any> = {};
  for (const { service, action } of actions) {
    const input = structuredClone(action.schema?.input as Record<string, any>);
    const properties = Object.fromEntries(
      Object.entries<any>(input.properties).map(([name, p]) =>
        input.required.includes(name) ? [name, p] : [name, { anyOf: [p, { type: 'null' }], default: null }],
      ),
    );
    properties.requestedBy = { type: 'string' };
    properties.requestedByGroups = { type: 'array', items: { type: 'string' } };
    properties.dryRun = { type: 'boolean', default: false };
    const name = `${service}-request`;
    schemas[name] = { type: 'object', properties, required: [...input.required, 'requestedBy'] };
    paths[`/api/v1/actions/${service}`] = {
      post: { requestBody: { content: { 'application/json': { schema: { $ref: `#/components/schemas/${name}` } } } } },
    };
  }
  return { paths, components: { schemas } };
}

describe('the action inputs against the service OpenAPI', () => {
  it('each action input matches its request body in catalog-info/openapi.json', () => {
    for (const { service, action } of actions) {
      const input = action.schema?.input as Record<string, any>;
      const body = actionRequestSchema(document, service, input);
      assert.ok(
        body,
        `catalog-info/openapi.json declares no request body for POST /api/v1/actions/${service}: ` +
          'regenerate it with `.venv/bin/python scripts/openapi.py > catalog-info/openapi.json` once the endpoint exists',
      );
      assert.deepEqual(schemaDifferences(document, input, body), [], `${action.id} vs ${service}`);
    }
  });

  it('the comparison finds nothing when the service declares exactly the action inputs', () => {
    const matching = matchingDocument();
    for (const { service, action } of actions) {
      const input = action.schema?.input as Record<string, any>;
      assert.deepEqual(schemaDifferences(matching, input, actionRequestSchema(matching, service, input)!), []);
    }
  });

  it('the comparison names each drift: a renamed, a retyped, a newly required field, a missing requestedBy', () => {
    const drifted = matchingDocument();
    const create = drifted.components.schemas['create-application-request'];
    create.properties.applicationName = create.properties.name;
    delete create.properties.name;
    create.required = create.required.map((n: string) => (n === 'name' ? 'applicationName' : n));
    create.properties.tags = { type: 'string' };
    create.properties.environments.anyOf[0].additionalProperties.properties.replicas = { type: 'string' };
    const promote = drifted.components.schemas['promote-image-request'];
    promote.required.push('version');
    delete promote.properties.requestedBy;
    const [createAction, promoteAction] = actions.map(a => a.action.schema?.input as Record<string, any>);
    assert.deepEqual(
      schemaDifferences(drifted, createAction, actionRequestSchema(drifted, 'create-application', createAction)!).sort(),
      [
        'applicationName: the service takes it, the action does not',
        'environments.*.replicas: the action says integer, the service string',
        'name: the action has it, the service does not take it',
        'tags: the action says array, the service string',
      ],
    );
    assert.deepEqual(
      schemaDifferences(drifted, promoteAction, actionRequestSchema(drifted, 'promote-image', promoteAction)!).sort(),
      ['requestedBy: the action sends it, the service does not take it', 'version: required by the service only'],
    );
    assert.deepEqual(ADDED_BY_ACTION, ['requestedBy', 'requestedByGroups', 'dryRun']);
  });
});
