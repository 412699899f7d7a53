import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import type { z as zod } from 'zod/v3';
import type { IdpServiceClient } from '../../service/IdpServiceClient';
import { type IdentityAuth, signedInUserToken } from '../../service/identity';
import { actionOutput, writeOutputs } from '../../service/output';
import { requestBody } from '../../service/requester';
import { examples } from './copyDatabase.examples';

type Z = typeof zod;

/** The service's copy-database inputs: one database component, from one environment into another, for some hours. */
export const copyDatabaseInput = {
  application: (z: Z) => z.string().min(1).describe('The application whose database is copied, by name'),
  component: (z: Z) =>
    z.string().min(1).describe('One of its components of a database type (postgresql, mysql), by name'),
  from: (z: Z) => z.string().min(1).describe('The environment whose database is copied'),
  to: (z: Z) => z.string().min(1).describe('The environment that gets the copy'),
  hours: (z: Z) =>
    z
      .number()
      .int()
      .optional()
      .describe('How long the copy lives, in hours (at most copies.maxHours of the service, default 72); then it removes itself'),
};

/** The outputs of a manifest action, and when the copy expires. */
export const copyDatabaseOutput = {
  ...actionOutput,
  expiresAt: (z: Z) =>
    z.string().optional().describe('When the copy expires and the service opens the pull request that removes it (ISO 8601 UTC)'),
};

/**
 * `idp:database:copy`: the service opens the pull request that adds the copy to the manifest
 * (`spec.environments.<to>.copies`); the platform chart restores it as a Job, and once it expires
 * the service itself opens the pull request that removes it.
 */
export function createIdpDatabaseCopyAction(options: { client: IdpServiceClient; auth: IdentityAuth }) {
  return createTemplateAction({
    id: 'idp:database:copy',
    description:
      "Asks the IDP catalog service to open the pull request that copies one of an application's databases into another environment, with an expiry",
    examples,
    supportsDryRun: true,
    schema: { input: copyDatabaseInput, output: copyDatabaseOutput },
    async handler(ctx) {
      const token = await signedInUserToken('copy-database', ctx, options.auth);
      const body = requestBody(ctx.input, ctx.user, ctx.isDryRun);
      const { application, component, from, to, hours } = ctx.input;
      const lives = hours === undefined ? '' : ` for ${hours} h`;
      ctx.logger.info(`copy-database ${application}/${component} ${from} → ${to}${lives}${body.dryRun ? ' (dry run)' : ''}`);
      const result = await options.client.run('copy-database', body, ctx.signal, token);
      writeOutputs(ctx, result);
      if (result.expiresAt) {
        ctx.output('expiresAt', result.expiresAt);
        ctx.logger.info(`the copy expires at ${result.expiresAt}`);
      }
    },
  });
}
