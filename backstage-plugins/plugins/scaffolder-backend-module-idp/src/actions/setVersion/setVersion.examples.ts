import type { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

// backstage-plugins/test/actions.test.ts runs every example against the real service on the demo
// GitOps repository (examples/gitops): the application and the first environment exist there.

export const examples: TemplateExample[] = [
  {
    description: 'Run a freshly built image in dev (what CI does after a build)',
    example: yaml.stringify({
      steps: [
        {
          id: 'set-version',
          action: 'idp:image:set-version',
          name: 'Set the version in dev',
          input: { application: 'payments-api', version: '2.15.0-rc.1' },
        },
      ],
    }),
  },
  {
    description: 'The same, naming the environment (refused for any but the first)',
    example: yaml.stringify({
      steps: [
        {
          id: 'set-version',
          action: 'idp:image:set-version',
          name: 'Set the version in dev',
          input: { application: 'checkout-api', version: '5f3c2a1', environment: 'dev' },
        },
      ],
    }),
  },
];
