import { type BackendFeature, createBackendModule } from '@backstage/backend-plugin-api';
import { mockServices, startTestBackend, type TestBackend } from '@backstage/backend-test-utils';
import type { Entity } from '@backstage/catalog-model';
import catalogPlugin, { CATALOG_ERRORS_TOPIC } from '@backstage/plugin-catalog-backend';
import { eventsServiceRef } from '@backstage/plugin-events-node';
import type { JsonObject } from '@backstage/types';
import knexFactory, { type Knex } from 'knex';

/** A processing error the catalog reported, as Backstage worded it. */
export interface CatalogProcessingError {
  entityRef: string;
  location?: string;
  messages: string[];
}

/** A real Backstage backend running the real catalog plugin. */
export interface CatalogBackend {
  /** Every entity in the catalog, read through its HTTP API. */
  readEntities(): Promise<Entity[]>;
  /** The processing errors the catalog has reported so far (e.g. an entity it rejected). */
  processingErrors: CatalogProcessingError[];
  stop(): Promise<void>;
}

const PAGE_SIZE = 200;
export const CATALOG_KINDS = ['Component', 'System', 'Resource', 'Location', 'Group', 'User', 'API', 'Domain'];

/** The part of a better-sqlite3 connection used here. */
interface SqliteConnection {
  pragma(statement: string): unknown;
}

/** Starts Backstage with the catalog reading the service's entities through a `url` Location. */
export async function startCatalogBackend(serviceBaseUrl: string): Promise<CatalogBackend> {
  return startCatalogWith([], {
    backend: {
      // The catalog reads URLs only from hosts it is told to trust.
      reading: { allow: [{ host: new URL(serviceBaseUrl).host }] },
    },
    catalog: {
      rules: [{ allow: CATALOG_KINDS }],
      locations: [{ type: 'url', target: `${serviceBaseUrl}/api/v1/entities.yaml` }],
    },
  });
}

/** A {@link CatalogBackend} that also answers the port it listens on. */
export interface StartedCatalog extends CatalogBackend {
  port: number;
}

/**
 * Starts Backstage with the real catalog plugin, the given features and configuration, on a
 * database of its own. `features` may use `knex` (e.g. for the real scheduler).
 */
export async function startCatalogWith(
  features: BackendFeature[] | ((knex: Knex) => BackendFeature[]),
  config: JsonObject,
): Promise<StartedCatalog> {
  // Our own in-memory database: the default one keeps a timer alive after `stop()`, and the
  // test process would never exit. One connection: each `:memory:` connection is its own database.
  const knex = knexFactory({
    client: 'better-sqlite3',
    connection: ':memory:',
    useNullAsDefault: true,
    pool: {
      min: 1,
      max: 1,
      afterCreate: (connection: SqliteConnection, done: (error: Error | null, c: unknown) => void) => {
        connection.pragma('foreign_keys = ON'); // the catalog's cascading deletes rely on it
        done(null, connection);
      },
    },
  });

  const processingErrors: CatalogProcessingError[] = [];
  // The catalog publishes each processing error as an event; collecting them lets a test fail
  // at once with Backstage's own message instead of waiting for an entity that never comes.
  const errorCollector = createBackendModule({
    pluginId: 'catalog',
    moduleId: 'test-error-collector',
    register(env) {
      env.registerInit({
        deps: { events: eventsServiceRef },
        async init({ events }) {
          await events.subscribe({
            id: 'test-error-collector',
            topics: [CATALOG_ERRORS_TOPIC],
            async onEvent({ eventPayload }) {
              const payload = eventPayload as { entity: string; location?: string; errors: Error[] };
              processingErrors.push({
                entityRef: payload.entity,
                location: payload.location,
                messages: payload.errors.map(error => `${error.name}: ${error.message}`),
              });
            },
          });
        },
      });
    },
  });

  let backend: TestBackend;
  try {
    backend = await startTestBackend({
      features: [
        catalogPlugin,
        errorCollector,
        mockServices.database.factory({ knex }),
        mockServices.rootConfig.factory({ data: config }),
        ...(typeof features === 'function' ? features(knex) : features),
      ],
    });
  } catch (error) {
    await knex.destroy(); // else the open database keeps the failed test run from exiting
    throw error;
  }
  const catalogApi = `http://127.0.0.1:${backend.server.port()}/api/catalog`;

  return {
    port: backend.server.port(),
    processingErrors,
    readEntities: () => readAllEntities(catalogApi),
    async stop() {
      try {
        await backend.stop();
      } finally {
        await knex.destroy();
      }
    },
  };
}

/** Reads every entity through `GET /entities/by-query`, following the cursor from page to page. */
export async function readAllEntities(catalogApi: string): Promise<Entity[]> {
  const entities: Entity[] = [];
  let query = `limit=${PAGE_SIZE}`;
  for (;;) {
    const response = await fetch(`${catalogApi}/entities/by-query?${query}`, {
      signal: AbortSignal.timeout(10_000),
    });
    if (response.status !== 200) {
      const body = await response.text();
      throw new Error(`GET ${catalogApi}/entities/by-query answered ${response.status}: ${body}`);
    }
    const page = (await response.json()) as { items: Entity[]; pageInfo: { nextCursor?: string } };
    entities.push(...page.items);
    if (!page.pageInfo.nextCursor) {
      return entities;
    }
    query = `cursor=${encodeURIComponent(page.pageInfo.nextCursor)}`;
  }
}
