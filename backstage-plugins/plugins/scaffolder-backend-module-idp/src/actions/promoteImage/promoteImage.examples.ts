import type { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

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
    description: 'Promote dev to staging, only if dev still runs 1.4.2',
    example: yaml.stringify({
      steps: [
        {
          id: 'promote',
          action: 'idp:image:promote',
          name: 'Open the promotion pull request',
          input: { application: 'payments-api', from: 'dev', to: 'staging', version: '1.4.2' },
        },
      ],
    }),
  },
];
