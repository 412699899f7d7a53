import type { SchedulerServiceTaskScheduleDefinitionConfig } from '@backstage/backend-plugin-api';
import type { HumanDuration } from '@backstage/types';

export interface Config {
  catalog?: {
    providers?: {
      /**
       * Entity providers reading the IDP catalog service, one per key: the provider of
       * `catalog.providers.idp.production` is named `idp:production`.
       */
      idp?: {
        [id: string]: {
          /**
           * The service's base URL, e.g. `http://catalog-service.platform.svc:8080`; the provider
           * reads `GET {baseUrl}/api/v1/entities`.
           */
          baseUrl: string;
          /**
           * Sent as `Authorization: Bearer <token>` when set (the service's read endpoints need
           * none unless a proxy in front of it asks for one).
           * @visibility secret
           */
          token?: string;
          /**
           * How often the provider reads the service when no `idp.catalog` event came, e.g.
           * `{frequency: {minutes: 5}, timeout: {minutes: 1}}`. A read that finds nothing new
           * costs a 304.
           */
          schedule: SchedulerServiceTaskScheduleDefinitionConfig;
          /**
           * How often a full mutation replaces everything the provider applied, to heal drift;
           * the reads in between apply only what changed. Default: one hour. An ISO duration
           * (`PT1H`) or an object (`{hours: 1}`).
           */
          fullEvery?: string | HumanDuration;
        };
      };
    };
  };
}
