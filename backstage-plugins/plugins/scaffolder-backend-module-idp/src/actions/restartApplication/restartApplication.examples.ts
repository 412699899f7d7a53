import type { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

// backstage-plugins/test/actions.test.ts runs every example against the real service on the demo
// GitOps repository (examples/gitops), with an Argo CD double (test/support/argocdDouble.ts) that
// knows the Argo CD applications <application>-<environment> of those applications.

export const examples: TemplateExample[] = [
  {
    description: 'Restart payments-api in dev (it crash-loops)',
    example: yaml.stringify({
      steps: [
        {
          id: 'restart',
          action: 'idp:application:restart',
          name: 'Restart the Deployments through Argo CD',
          input: { application: 'payments-api', environment: 'dev' },
        },
      ],
    }),
  },
  {
    description: 'Restart checkout-api in staging',
    example: yaml.stringify({
      steps: [
        {
          id: 'restart',
          action: 'idp:application:restart',
          name: 'Restart the Deployments through Argo CD',
          input: { application: 'checkout-api', environment: 'staging' },
        },
      ],
    }),
  },
];
