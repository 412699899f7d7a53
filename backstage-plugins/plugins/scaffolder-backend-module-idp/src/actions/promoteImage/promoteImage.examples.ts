import type { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

// backstage-plugins/test/actions.test.ts runs every example against the real service on the demo
// GitOps repository (examples/gitops): the names and versions here are the ones that work there.

export const examples: TemplateExample[] = [
  {
    description: 'Promote what runs in staging to prod',
    example: yaml.stringify({
      steps: [
        {
          id: 'promote',
          action: 'idp:image:promote',
          name: 'Open the promotion pull request',
          input: { application: 'payments-api', from: 'staging', to: 'prod' },
        },
      ],
    }),
  },
  {
    description: 'Promote dev to staging, only if dev still runs 3.2.0',
    example: yaml.stringify({
      steps: [
        {
          id: 'promote',
          action: 'idp:image:promote',
          name: 'Open the promotion pull request',
          input: { application: 'ledger-api', from: 'dev', to: 'staging', version: '3.2.0' },
        },
      ],
    }),
  },
];
