// The repository's Backstage backend: everything a newcomer needs to see the IDP catalog.
import { createBackend } from '@backstage/backend-defaults';
import appPlugin from '@backstage/plugin-app-backend';
import authPlugin from '@backstage/plugin-auth-backend';
import guestProvider from '@backstage/plugin-auth-backend-module-guest-provider';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import templateEntities from '@backstage/plugin-catalog-backend-module-scaffolder-entity-model';
import eventsPlugin from '@backstage/plugin-events-backend';
import proxyPlugin from '@backstage/plugin-proxy-backend';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import catalogModuleIdp from '@idp/plugin-catalog-backend-module-idp';
import scaffolderModuleIdp from '@idp/plugin-scaffolder-backend-module-idp';

const backend = createBackend();
backend.add(appPlugin); // serves packages/app's build
backend.add(authPlugin);
backend.add(guestProvider);
backend.add(proxyPlugin); // proxy.endpoints./idp: the frontend plugin's way to the service
backend.add(catalogPlugin);
backend.add(templateEntities);
backend.add(scaffolderPlugin);
backend.add(eventsPlugin);
backend.add(catalogModuleIdp);
backend.add(scaffolderModuleIdp);
backend.start();
