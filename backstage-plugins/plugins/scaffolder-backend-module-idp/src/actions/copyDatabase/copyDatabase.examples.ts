import type { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

// backstage-plugins/test/actions.test.ts runs every example against the real service on the demo
// GitOps repository (examples/gitops): the applications and their postgresql components exist there.

export const examples: TemplateExample[] = [
  {
    description: "Copy payments-api's prod database into staging for a day",
    example: yaml.stringify({
      steps: [
        {
          id: 'copy',
          action: 'idp:database:copy',
          name: 'Open the database copy pull request',
          input: { application: 'payments-api', component: 'db', from: 'prod', to: 'staging', hours: 24 },
        },
      ],
    }),
  },
  {
    description: "Copy checkout-api's orders database from staging into dev, for the service's default time",
    example: yaml.stringify({
      steps: [
        {
          id: 'copy',
          action: 'idp:database:copy',
          name: 'Open the database copy pull request',
          input: { application: 'checkout-api', component: 'orders', from: 'staging', to: 'dev' },
        },
      ],
    }),
  },
];
