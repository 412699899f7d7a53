import { coreServices, createBackendModule } from '@backstage/backend-plugin-api';
import { catalogProcessingExtensionPoint } from '@backstage/plugin-catalog-node';
import { eventsServiceRef } from '@backstage/plugin-events-node';
import { IdpEntityProvider } from './providers/IdpEntityProvider';

/** The catalog module `idp`: one entity provider per `catalog.providers.idp.<id>`. */
export const catalogModuleIdp = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'idp',
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
        catalog.addEntityProvider(providers);
        await IdpEntityProvider.subscribe(events, providers);
      },
    });
  },
});
