import type { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

// backstage-plugins/test/actions.test.ts runs every example against the real service on the demo
// GitOps repository (examples/gitops): the names and versions here are the ones that work there.

export const examples: TemplateExample[] = [
  {
    description: 'A new in-house service with its first dev version',
    example: yaml.stringify({
      steps: [
        {
          id: 'manifest',
          action: 'idp:application:create',
          name: 'Open the manifest pull request',
          input: {
            name: 'refund-api',
            system: 'payments',
            owner: 'team-payments',
            type: 'service',
            description: 'Card refunds API',
            sourceRepository: 'acme/refund-api',
            image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/refund-api',
            environments: { dev: { version: '0.1.0' } },
          },
        },
      ],
    }),
  },
  {
    description: 'A vendor chart with a database and a secret',
    example: yaml.stringify({
      steps: [
        {
          id: 'manifest',
          action: 'idp:application:create',
          name: 'Open the manifest pull request',
          input: {
            name: 'vault',
            system: 'identity',
            owner: 'group:default/team-identity',
            type: 'vendor',
            lifecycle: 'experimental',
            tags: ['secrets'],
            chart: { repository: 'https://helm.releases.hashicorp.com', name: 'vault' },
            components: [{ name: 'db', type: 'postgresql' }],
            secrets: [{ env: 'VAULT_DB_PASSWORD', secret: 'identity/vault-db', key: 'password' }],
            environments: { dev: { version: '0.28.1' }, prod: { version: '0.28.1', replicas: 2 } },
          },
        },
      ],
    }),
  },
];
