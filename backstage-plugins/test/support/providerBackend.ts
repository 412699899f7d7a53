import { coreServices, createBackendModule } from '@backstage/backend-plugin-api';
import { schedulerServiceFactory } from '@backstage/backend-defaults/scheduler';
import {
  catalogProcessingExtensionPoint,
  type EntityProvider,
  type EntityProviderConnection,
  type EntityProviderMutation,
} from '@backstage/plugin-catalog-node';
import eventsPlugin from '@backstage/plugin-events-backend';
import { eventsServiceFactory, eventsServiceRef } from '@backstage/plugin-events-node';
import { eventsExtensionPoint } from '@backstage/plugin-events-node/alpha';
import catalogModuleIdp, { IdpEntityProvider } from '../../plugins/catalog-backend-module-idp/src';
import { CATALOG_KINDS, type StartedCatalog, startCatalogWith } from './catalogBackend';

export const PROVIDER_ID = 'test';

/** A real catalog fed by the idp provider; `mutations` is what the provider applied, in order. */
export interface ProviderBackend extends StartedCatalog {
  mutations: EntityProviderMutation[];
  /** The provider itself, when counted (to ask it for a read and see the outcome). */
  provider?: IdpEntityProvider;
  /** `POST /api/events/http/idp.catalog`, as the catalog service does after a new snapshot. */
  publishEvent(payload: unknown): Promise<void>;
  /** The events endpoint for the topic `idp.catalog` (what the service's `backstage.eventsUrl` names). */
  eventsUrl: string;
}

/**
 * Starts the real catalog, the real scheduler and the idp provider reading `baseUrl`.
 * - `counted`: the provider is registered as `module.ts` does, but its connection records every
 *   mutation; the events backend's HTTP endpoint takes `idp.catalog` events.
 *   With `eventsToken`, that endpoint takes only posts carrying `Authorization: Bearer <eventsToken>`
 *   (the validator docs/backstage.md recommends; the service's `backstage.token`).
 * - otherwise: the package's own module exactly as a Backstage installs it, with no events backend.
 */
export async function startProviderBackend(options: {
  baseUrl: string;
  schedule: { frequency: { seconds: number } | { hours: number } };
  counted: boolean;
  eventsToken?: string;
}): Promise<ProviderBackend> {
  const mutations: EntityProviderMutation[] = [];
  let provider: IdpEntityProvider | undefined;
  const countedModule = createBackendModule({
    pluginId: 'catalog',
    moduleId: 'idp-counted',
    register(env) {
      env.registerInit({
        deps: {
          catalog: catalogProcessingExtensionPoint,
          config: coreServices.rootConfig,
          logger: coreServices.logger,
          scheduler: coreServices.scheduler,
          events: eventsServiceRef,
        },
        async init({ catalog, config, logger, scheduler, events }) {
          const providers = IdpEntityProvider.fromConfig(config, { logger, scheduler });
          provider = providers[0];
          catalog.addEntityProvider(providers.map(p => recordingMutations(p, mutations)));
          await IdpEntityProvider.subscribe(events, providers);
        },
      });
    },
  });

  const { eventsToken } = options;
  const tokenModule = createBackendModule({
    pluginId: 'events',
    moduleId: 'idp-token',
    register(env) {
      env.registerInit({
        deps: { events: eventsExtensionPoint },
        async init({ events }) {
          events.addHttpPostIngress({
            topic: 'idp.catalog',
            async validator(request, context) {
              if (request.headers.authorization !== `Bearer ${eventsToken}`) {
                context.reject({ status: 401, payload: { message: 'a valid bearer token is required' } });
              }
            },
          });
        },
      });
    },
  });

  const catalog = await startCatalogWith(
    [
      ...(options.counted ? [countedModule, eventsPlugin] : [catalogModuleIdp]),
      ...(options.counted && eventsToken ? [tokenModule] : []),
      schedulerServiceFactory,
      // startTestBackend's own events service is one mock per plugin: an event published by the
      // events plugin would never reach the catalog's subscribers. The real one is shared.
      eventsServiceFactory,
    ],
    {
      catalog: {
        rules: [{ allow: CATALOG_KINDS }],
        providers: {
          idp: {
            [PROVIDER_ID]: { baseUrl: options.baseUrl, schedule: { ...options.schedule, timeout: { minutes: 1 } } },
          },
        },
      },
      events: {
        http: { topics: ['idp.catalog'] },
        // One instance: no need for the events bus, whose long polls hold `stop()` for ~55 s.
        useEventBus: 'never',
      },
    },
  );
  const eventsUrl = `http://127.0.0.1:${catalog.port}/api/events/http/idp.catalog`;
  return {
    ...catalog,
    mutations,
    provider,
    eventsUrl,
    async publishEvent(payload) {
      const response = await fetch(eventsUrl, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          ...(eventsToken ? { Authorization: `Bearer ${eventsToken}` } : {}),
        },
        body: JSON.stringify(payload),
        signal: AbortSignal.timeout(10_000),
      });
      if (response.status !== 202) {
        throw new Error(`POST /api/events/http/idp.catalog answered ${response.status}: ${await response.text()}`);
      }
    },
  };
}

/** The same provider, whose connection records each mutation before the catalog applies it. */
function recordingMutations(provider: EntityProvider, mutations: EntityProviderMutation[]): EntityProvider {
  return {
    getProviderName: () => provider.getProviderName(),
    connect: (connection: EntityProviderConnection) =>
      provider.connect({
        applyMutation: async mutation => {
          mutations.push(mutation);
          await connection.applyMutation(mutation);
        },
        refresh: options => connection.refresh(options),
      }),
  };
}
