import React from 'react';
import { createApp } from '@backstage/frontend-defaults';
import { createFrontendModule } from '@backstage/frontend-plugin-api';
import { SignInPageBlueprint } from '@backstage/plugin-app-react';
import { SignInPage } from '@backstage/core-components';
import catalogPlugin from '@backstage/plugin-catalog/alpha';
import scaffolderPlugin from '@backstage/plugin-scaffolder/alpha';
import idpPlugin from '@idp/plugin-idp';

// Guest sign-in, for trying it out on one's own machine (the backend's guest provider).
const signInPage = SignInPageBlueprint.make({
  params: {
    loader: async () => props => <SignInPage {...props} auto providers={['guest']} />,
  },
});

export const app = createApp({
  features: [
    catalogPlugin,
    scaffolderPlugin,
    idpPlugin,
    createFrontendModule({ pluginId: 'app', extensions: [signInPage] }),
  ],
});
