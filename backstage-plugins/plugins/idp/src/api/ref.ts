import { createApiRef } from '@backstage/frontend-plugin-api';
import type { IdpApi } from './types';

/** The IDP catalog service, reached through Backstage's proxy. */
export const idpApiRef = createApiRef<IdpApi>().with({ id: 'plugin.idp.service', pluginId: 'idp' });
