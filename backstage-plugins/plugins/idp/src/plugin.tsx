import React from 'react';
import {
  ApiBlueprint,
  createFrontendPlugin,
  createRouteRef,
  discoveryApiRef,
  fetchApiRef,
  PageBlueprint,
  configApiRef,
} from '@backstage/frontend-plugin-api';
import { EntityCardBlueprint } from '@backstage/plugin-catalog-react/alpha';
import DashboardIcon from '@material-ui/icons/Dashboard';
import { IdpClient } from './api/IdpClient';
import { idpApiRef } from './api/ref';

/** The page `/idp`. */
export const rootRouteRef = createRouteRef();

/** The Components the catalog service makes of applications. */
export const IDP_COMPONENT_FILTER = {
  kind: 'component',
  'spec.type': { $in: ['service', 'vendor', 'etl'] },
};

const idpApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: idpApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef, configApi: configApiRef },
      factory: ({ discoveryApi, fetchApi, configApi }) =>
        new IdpClient({ discoveryApi, fetchApi, proxyPath: configApi.getOptionalString('idp.proxyPath') }),
    }),
});

const deploymentsCard = EntityCardBlueprint.make({
  name: 'deployments',
  params: {
    filter: IDP_COMPONENT_FILTER,
    loader: () => import('./components/IdpDeploymentsCard').then(m => <m.IdpDeploymentsCard />),
  },
});

const idpPage = PageBlueprint.make({
  params: {
    path: '/idp',
    title: 'IDP',
    icon: <DashboardIcon fontSize="inherit" />,
    routeRef: rootRouteRef,
    loader: () => import('./components/IdpPage').then(m => <m.IdpPage />),
  },
});

/** `@idp/plugin-idp` for the new frontend system: the card, the page `/idp` (in the nav), its API. */
export const idpPlugin = createFrontendPlugin({
  pluginId: 'idp',
  info: { packageJson: () => import('../package.json') },
  routes: { root: rootRouteRef },
  extensions: [idpApi, deploymentsCard, idpPage],
});
