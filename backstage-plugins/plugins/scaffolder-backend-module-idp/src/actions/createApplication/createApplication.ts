import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import type { z as zod } from 'zod/v3';
import type { IdpServiceClient } from '../../service/IdpServiceClient';
import { actionOutput, writeOutputs } from '../../service/output';
import { type IdentityAuth, signedInUserToken } from '../../service/identity';
import { requestBody } from '../../service/requester';
import { examples } from './createApplication.examples';

type Z = typeof zod;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The manifest's fields (docs/manifest-reference.md), as the service's create-application takes them. */
export const createApplicationInput = {
  name: (z: Z) =>
    z.string().max(63).regex(DNS_LABEL).describe('The application name: a DNS label, unique in the catalog'),
  system: (z: Z) => z.string().min(1).describe('The system the application ships with'),
  owner: (z: Z) =>
    z.string().min(1).describe('The owning group: a name (team-payments) or a ref (group:default/team-payments)'),
  type: (z: Z) =>
    z
      .enum(['service', 'vendor', 'etl'])
      .describe('service (built in-house), vendor (a third-party Helm chart) or etl (a scheduled job)'),
  description: (z: Z) => z.string().optional().describe('What the application does, in one line'),
  lifecycle: (z: Z) =>
    z.enum(['experimental', 'production', 'deprecated']).optional().describe('Default: production'),
  tags: (z: Z) => z.array(z.string()).optional().describe('Backstage tags'),
  links: (z: Z) =>
    z
      .array(
        z.object({
          url: z.string().describe('The link target'),
          title: z.string().optional().describe('The text shown'),
          icon: z.string().optional().describe('A Backstage icon name'),
          type: z.string().optional().describe('A free-text kind of link'),
        }),
      )
      .optional()
      .describe('Links shown on the entity page'),
  sourceRepository: (z: Z) =>
    z.string().optional().describe('Where the code lives (service, etl): GitHub owner/repo'),
  image: (z: Z) => z.string().optional().describe('The container image, without tag (service, etl)'),
  chart: (z: Z) =>
    z
      .object({
        repository: z.string().describe('The Helm repository URL'),
        name: z.string().describe('The chart name'),
      })
      .optional()
      .describe('The Helm chart (vendor only)'),
  schedule: (z: Z) => z.string().optional().describe('A cron expression (etl only)'),
  components: (z: Z) =>
    z
      .array(
        z.object({
          name: z.string().describe('The component name inside the application'),
          type: z.string().describe('postgresql, mysql, redis, s3-bucket, queue, ...'),
        }),
      )
      .optional()
      .describe('What lives inside the application (each becomes a Resource)'),
  secrets: (z: Z) =>
    z
      .array(
        z.object({
          env: z.string().describe('The environment variable'),
          secret: z.string().describe('The AWS Secrets Manager secret'),
          key: z.string().optional().describe('The key inside the secret'),
        }),
      )
      .optional()
      .describe('Secret references; values never appear anywhere'),
  dependsOn: (z: Z) => z.array(z.string()).optional().describe('Other applications, by name'),
  environments: (z: Z) =>
    z
      .record(
        z.object({
          version: z.string().describe('The image tag (service, etl) or chart version (vendor)'),
          replicas: z.number().int().optional().describe('How many replicas'),
        }),
      )
      .optional()
      .describe('The first versions, per configured environment'),
};

/** `idp:application:create`: the service writes the new manifest on a branch and opens a pull request. */
export function createIdpApplicationCreateAction(options: { client: IdpServiceClient; auth: IdentityAuth }) {
  return createTemplateAction({
    id: 'idp:application:create',
    description:
      'Asks the IDP catalog service to write a new application manifest into the GitOps repository and open its pull request',
    examples,
    supportsDryRun: true,
    schema: { input: createApplicationInput, output: actionOutput },
    async handler(ctx) {
      const token = await signedInUserToken('create-application', ctx, options.auth);
      const body = requestBody(ctx.input, ctx.user, ctx.isDryRun);
      ctx.logger.info(`create-application ${ctx.input.name}${body.dryRun ? ' (dry run)' : ''}`);
      writeOutputs(ctx, await options.client.run('create-application', body, ctx.signal, token));
    },
  });
}
