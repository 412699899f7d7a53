import type { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

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
            name: 'payments-api',
            system: 'payments',
            owner: 'team-payments',
            type: 'service',
            description: 'Card payments API',
            sourceRepository: 'acme/payments-api',
            image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/payments-api',
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
            name: 'keycloak',
            system: 'identity',
            owner: 'group:default/team-identity',
            type: 'vendor',
            lifecycle: 'experimental',
            tags: ['sso'],
            chart: { repository: 'https://charts.example.com', name: 'keycloak' },
            components: [{ name: 'db', type: 'postgresql' }],
            secrets: [{ env: 'KC_DB_PASSWORD', secret: 'identity/keycloak-db', key: 'password' }],
            environments: { dev: { version: '24.0.1' }, prod: { version: '24.0.1', replicas: 2 } },
          },
        },
      ],
    }),
  },
];
