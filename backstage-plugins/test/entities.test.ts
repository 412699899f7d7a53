// Every entity the catalog service serves must pass the validation Backstage's catalog applies.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Entity } from '@backstage/catalog-model';
import { startCatalogService, type CatalogService } from './support/catalogService';
import { validateAsTheCatalogDoes } from './support/catalogValidation';
import { namespaceOf, refOf, resolveRef } from './support/entityRefs';
import { fetchServiceEntities } from './support/serviceEntities';

describe('entities served by the catalog service', () => {
  let service: CatalogService | undefined;
  let entities: Entity[] = [];

  before(async () => {
    service = await startCatalogService();
    entities = await fetchServiceEntities(service.baseUrl);
  });

  after(async () => {
    await service?.stop();
  });

  it('are accepted by the catalog policies and exactly one kind validator each', async () => {
    assert.ok(entities.length > 0, 'the service serves no entity');
    const rejected: string[] = [];
    for (const entity of entities) {
      try {
        await validateAsTheCatalogDoes(entity);
      } catch (error) {
        rejected.push(`${describeEntity(entity)}: ${(error as Error).message}`);
      }
    }
    assert.deepEqual(rejected, [], `Backstage rejects ${rejected.length} entities`);
  });

  it('have unique refs', () => {
    const refs = entities.map(refOf);
    const duplicates = refs.filter((ref, index) => refs.indexOf(ref) !== index);
    assert.deepEqual(duplicates, []);
  });

  it('have spec references that the catalog can resolve into relations', () => {
    // The catalog's built-in processor parses these with the same defaults; a malformed one
    // would fail processing even though the entity itself validates.
    const unparsable: string[] = [];
    for (const entity of entities) {
      const spec = (entity.spec ?? {}) as { owner?: string; system?: string; dependsOn?: string[] };
      const defaultNamespace = namespaceOf(entity);
      const refs: [string, string | undefined][] = [
        ...(spec.owner === undefined ? [] : [[spec.owner, 'Group'] as [string, string]]),
        ...(spec.system === undefined ? [] : [[spec.system, 'System'] as [string, string]]),
        // dependsOn has no default kind: each entry must name its kind.
        ...(spec.dependsOn ?? []).map(ref => [ref, undefined] as [string, undefined]),
      ];
      for (const [ref, defaultKind] of refs) {
        try {
          resolveRef(ref, { defaultKind, defaultNamespace });
        } catch (error) {
          unparsable.push(`${describeEntity(entity)}: ${JSON.stringify(ref)}: ${(error as Error).message}`);
        }
      }
    }
    assert.deepEqual(unparsable, []);
  });

  it('include Components of each type, Resources and Systems', () => {
    const componentTypes = new Set(
      entities.filter(entity => entity.kind === 'Component').map(entity => entity.spec?.type),
    );
    for (const type of ['service', 'vendor', 'etl']) {
      assert.ok(componentTypes.has(type), `no Component with spec.type ${type}`);
    }
    assert.ok(entities.some(entity => entity.kind === 'Resource'), 'no Resource');
    assert.ok(entities.some(entity => entity.kind === 'System'), 'no System');
  });

  describe('the validation can fail', () => {
    // Each case spoils a copy of a served entity and expects Backstage's reason, so these
    // prove the check above has teeth.
    const spoilers: [string, (entity: Entity) => void, RegExp][] = [
      [
        'an invalid name',
        entity => void (entity.metadata.name = 'Bad_Name!'),
        /"metadata\.name" is not valid/,
      ],
      [
        'an unknown root field',
        entity => void ((entity as unknown as Record<string, unknown>).extra = 1),
        /must NOT have additional properties/,
      ],
      ['a kind no validator knows', entity => void (entity.kind = 'Gadget'), /but 0 did/],
      [
        'an annotation key Backstage forbids',
        entity => void (entity.metadata.annotations = { ...entity.metadata.annotations, 'not a key!': 'x' }),
        /"annotations\.not a key!" is not valid/,
      ],
      [
        'a spec without its required type',
        entity => void delete (entity.spec as Record<string, unknown>).type,
        /must have required property 'type'/,
      ],
    ];
    for (const [what, spoil, reason] of spoilers) {
      it(`rejects a served entity with ${what}`, async () => {
        const served = entities.find(entity => entity.kind === 'Component');
        assert.ok(served, 'the service serves no Component to spoil');
        await validateAsTheCatalogDoes(served); // the original passes...
        const spoiled = structuredClone(served);
        spoil(spoiled);
        await assert.rejects(validateAsTheCatalogDoes(spoiled), reason); // ...the spoiled copy does not
      });
    }
  });
});

function describeEntity(entity: Entity): string {
  const name = entity?.metadata?.name;
  return `${String(entity?.kind)} ${typeof name === 'string' ? name : JSON.stringify(entity).slice(0, 200)}`;
}
