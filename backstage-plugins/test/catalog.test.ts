// A real Backstage backend with the real catalog plugin reads the service's entities through a
// stock `url` Location; the test then reads back what the catalog made of them.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type Entity,
  RELATION_DEPENDS_ON,
  RELATION_HAS_PART,
  RELATION_OWNED_BY,
  RELATION_PART_OF,
} from '@backstage/catalog-model';
import {
  startCatalogBackend,
  type CatalogBackend,
  type CatalogProcessingError,
} from './support/catalogBackend';
import { startCatalogService, type CatalogService } from './support/catalogService';
import { namespaceOf, refOf, relationTargets, resolveRef } from './support/entityRefs';
import { eventually } from './support/eventually';
import { fetchServiceEntities } from './support/serviceEntities';

const INGEST_TIMEOUT_MS = 60_000;
// Once everything is ingested, relations may still wait for the catalog to stitch them.
const STITCH_TIMEOUT_MS = 20_000;

interface EntitySpec {
  owner?: string;
  system?: string;
  dependsOn?: string[];
}

describe('a real Backstage catalog reading the catalog service', () => {
  let service: CatalogService | undefined;
  let backend: CatalogBackend | undefined;
  let served: Entity[] = [];

  before(async () => {
    service = await startCatalogService();
    served = await fetchServiceEntities(service.baseUrl);
    backend = await startCatalogBackend(service.baseUrl);
  });

  after(async () => {
    await backend?.stop();
    await service?.stop();
  });

  /** Retries `check` against the catalog's current entities, keyed by lowercase ref. */
  function eventuallyInCatalog(
    check: (catalog: Map<string, Entity>) => void,
    timeoutMs = STITCH_TIMEOUT_MS,
  ): Promise<void> {
    return eventually(
      async () => {
        assert.ok(backend, 'the Backstage backend did not start');
        if (backend.processingErrors.length > 0) {
          throw new CatalogRejected(backend.processingErrors);
        }
        const catalog = new Map((await backend.readEntities()).map(entity => [refOf(entity), entity]));
        check(catalog);
      },
      // Waiting cannot mend what the catalog has rejected: fail at once with its reasons.
      { timeoutMs, giveUp: error => error instanceof CatalogRejected },
    );
  }

  function servedOfKind(kind: string): Entity[] {
    return served.filter(entity => entity.kind === kind);
  }

  it('ingests every entity the service lists, and nothing else but Locations', async () => {
    assert.ok(served.length > 0, 'the service serves no entity');
    await eventuallyInCatalog(catalog => {
      const missing = served.map(refOf).filter(ref => !catalog.has(ref));
      const lacking = `the catalog lacks ${missing.length} of ${served.length} served entities`;
      assert.deepEqual(missing, [], lacking);
    }, INGEST_TIMEOUT_MS);
    await eventuallyInCatalog(catalog => {
      const servedRefs = new Set(served.map(refOf));
      const extra = [...catalog.keys()].filter(ref => !servedRefs.has(ref) && !ref.startsWith('location:'));
      assert.deepEqual(extra, [], 'the catalog holds entities the service does not list');
    });
  });

  it('relates every Component to its owner and its system', async () => {
    const components = servedOfKind('Component');
    assert.ok(components.length > 0, 'the service serves no Component');
    await eventuallyInCatalog(catalog => {
      for (const component of components) {
        assertOwnedAndPartOf(catalog, component);
      }
    });
  });

  it('relates every Resource to its owner and its system', async () => {
    const resources = servedOfKind('Resource');
    assert.ok(resources.length > 0, 'the service serves no Resource');
    await eventuallyInCatalog(catalog => {
      for (const resource of resources) {
        assertOwnedAndPartOf(catalog, resource);
      }
    });
  });

  it('relates Components to the Components and Resources they depend on', async () => {
    const dependents = servedOfKind('Component').filter(
      component => ((component.spec as EntitySpec).dependsOn ?? []).length > 0,
    );
    assert.ok(dependents.length > 0, 'no served Component has spec.dependsOn');
    const targetKinds = new Set<string>();
    await eventuallyInCatalog(catalog => {
      for (const component of dependents) {
        const stored = inCatalog(catalog, component);
        const targets = relationTargets(stored, RELATION_DEPENDS_ON);
        for (const dependency of (component.spec as EntitySpec).dependsOn ?? []) {
          const expected = resolveRef(dependency, { defaultNamespace: namespaceOf(component) });
          assert.ok(
            targets.includes(expected),
            `${refOf(component)} lacks dependsOn ${expected}; it has ${targets.join(', ') || 'none'}`,
          );
          targetKinds.add(expected.split(':')[0]);
        }
      }
    });
    assert.ok(targetKinds.has('component'), 'no served Component depends on a Component');
    assert.ok(targetKinds.has('resource'), 'no served Component depends on a Resource');
  });

  it('gives every System hasPart relations to its Components and Resources', async () => {
    const systems = servedOfKind('System');
    assert.ok(systems.length > 0, 'the service serves no System');
    await eventuallyInCatalog(catalog => {
      for (const system of systems) {
        const parts = served
          .filter(entity => {
            const systemRef = (entity.spec as EntitySpec | undefined)?.system;
            return (
              systemRef !== undefined &&
              resolveRef(systemRef, { defaultKind: 'System', defaultNamespace: namespaceOf(entity) }) ===
                refOf(system)
            );
          })
          .map(refOf);
        assert.ok(parts.length > 0, `no served entity is part of ${refOf(system)}`);
        const hasPart = relationTargets(inCatalog(catalog, system), RELATION_HAS_PART);
        const missing = parts.filter(part => !hasPart.includes(part));
        assert.deepEqual(missing, [], `${refOf(system)} lacks hasPart relations`);
      }
    });
  });
});

function inCatalog(catalog: Map<string, Entity>, entity: Entity): Entity {
  const stored = catalog.get(refOf(entity));
  assert.ok(stored, `the catalog lacks ${refOf(entity)}`);
  return stored;
}

function assertOwnedAndPartOf(catalog: Map<string, Entity>, entity: Entity): void {
  const spec = entity.spec as EntitySpec;
  const defaultNamespace = namespaceOf(entity);
  const stored = inCatalog(catalog, entity);
  assert.ok(spec.owner, `${refOf(entity)} has no spec.owner`);
  const owner = resolveRef(spec.owner, { defaultKind: 'Group', defaultNamespace });
  assert.deepEqual(relationTargets(stored, RELATION_OWNED_BY), [owner], `ownedBy of ${refOf(entity)}`);
  assert.ok(spec.system, `${refOf(entity)} has no spec.system`);
  const system = resolveRef(spec.system, { defaultKind: 'System', defaultNamespace });
  assert.deepEqual(relationTargets(stored, RELATION_PART_OF), [system], `partOf of ${refOf(entity)}`);
}

class CatalogRejected extends Error {
  constructor(errors: CatalogProcessingError[]) {
    const lines = errors.flatMap(error => [
      `  ${error.entityRef} (${error.location ?? 'no location'}):`,
      ...error.messages.map(message => `    ${message}`),
    ]);
    super(`the catalog reported processing errors:\n${lines.join('\n')}`);
    this.name = 'CatalogRejected';
  }
}
