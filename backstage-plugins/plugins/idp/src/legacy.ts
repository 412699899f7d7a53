import {
  configApiRef,
  createApiFactory,
  createComponentExtension,
  createPlugin,
  createRoutableExtension,
  createRouteRef,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/core-plugin-api';
import { IdpClient } from './api/IdpClient';
import { idpApiRef } from './api/ref';

/** The route of `IdpPage` in an app of the legacy frontend system. */
export const legacyRootRouteRef = createRouteRef({ id: 'idp' });

/** `@idp/plugin-idp` for an app of the legacy frontend system (`App.tsx`, `EntityPage.tsx`). */
export const legacyIdpPlugin = createPlugin({
  id: 'idp',
  apis: [
    createApiFactory({
      api: idpApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef, configApi: configApiRef },
      factory: ({ discoveryApi, fetchApi, configApi }) =>
        new IdpClient({ discoveryApi, fetchApi, proxyPath: configApi.getOptionalString('idp.proxyPath') }),
    }),
  ],
  routes: { root: legacyRootRouteRef },
});

/** The entity card, for `EntityPage.tsx`: `<EntityIdpDeploymentsCard />` inside an `EntityLayout`. */
export const EntityIdpDeploymentsCard = legacyIdpPlugin.provide(
  createComponentExtension({
    name: 'EntityIdpDeploymentsCard',
    component: { lazy: () => import('./components/IdpDeploymentsCard').then(m => m.IdpDeploymentsCard) },
  }),
);

/** The page, for `App.tsx`: `<Route path="/idp" element={<IdpPage />} />`. */
export const IdpPage = legacyIdpPlugin.provide(
  createRoutableExtension({
    name: 'IdpPage',
    component: () => import('./components/IdpPage').then(m => m.IdpPage),
    mountPoint: legacyRootRouteRef,
  }),
);
