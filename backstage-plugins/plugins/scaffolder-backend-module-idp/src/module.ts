import { coreServices, createBackendModule } from '@backstage/backend-plugin-api';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import { createIdpApplicationCreateAction } from './actions/createApplication/createApplication';
import { createIdpDatabaseCopyAction } from './actions/copyDatabase/copyDatabase';
import { createIdpImagePromoteAction } from './actions/promoteImage/promoteImage';
import { createIdpApplicationRestartAction } from './actions/restartApplication/restartApplication';
import { createIdpImageSetVersionAction } from './actions/setVersion/setVersion';
import { IdpServiceClient } from './service/IdpServiceClient';

/**
 * The scaffolder module `idp`: the actions `idp:application:create`, `idp:image:promote`,
 * `idp:image:set-version`, `idp:application:restart` and `idp:database:copy`.
 */
export const scaffolderModuleIdp = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'idp',
  register(env) {
    env.registerInit({
      deps: { scaffolder: scaffolderActionsExtensionPoint, config: coreServices.rootConfig, auth: coreServices.auth },
      async init({ scaffolder, config, auth }) {
        const client = IdpServiceClient.fromConfig(config);
        scaffolder.addActions(
          createIdpApplicationCreateAction({ client, auth }),
          createIdpImagePromoteAction({ client, auth }),
          createIdpImageSetVersionAction({ client, auth }),
          createIdpApplicationRestartAction({ client, auth }),
          createIdpDatabaseCopyAction({ client, auth }),
        );
      },
    });
  },
});
