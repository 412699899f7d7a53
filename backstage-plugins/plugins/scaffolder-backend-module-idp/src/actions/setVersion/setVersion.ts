import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import type { z as zod } from 'zod/v3';
import type { IdpServiceClient } from '../../service/IdpServiceClient';
import { type IdentityAuth, signedInUserToken } from '../../service/identity';
import { actionOutput, writeOutputs } from '../../service/output';
import { requestBody } from '../../service/requester';
import { examples } from './setVersion.examples';

type Z = typeof zod;

/** The service's set-version inputs: the first environment of the order only. */
export const setVersionInput = {
  application: (z: Z) => z.string().min(1).describe('The application whose first environment is set'),
  version: (z: Z) => z.string().min(1).describe("The version to run there, e.g. the commit's short SHA"),
  environment: (z: Z) =>
    z
      .string()
      .min(1)
      .optional()
      .describe('Optional: must be the first environment of the configured order'),
};

/**
 * `idp:image:set-version`: the service sets the version of the first environment, by a commit on
 * the GitOps branch (or a pull request when the service is configured so). CI calls the service
 * directly; this action is for doing the same by hand from a template.
 */
export function createIdpImageSetVersionAction(options: { client: IdpServiceClient; auth: IdentityAuth }) {
  return createTemplateAction({
    id: 'idp:image:set-version',
    description:
      "Asks the IDP catalog service to set an application's version in the first environment (a commit, or a pull request)",
    examples,
    supportsDryRun: true,
    schema: { input: setVersionInput, output: actionOutput },
    async handler(ctx) {
      const token = await signedInUserToken('set-version', ctx, options.auth);
      const body = requestBody(ctx.input, ctx.user, ctx.isDryRun);
      const { application, version } = ctx.input;
      ctx.logger.info(`set-version ${application} ${version}${body.dryRun ? ' (dry run)' : ''}`);
      writeOutputs(ctx, await options.client.run('set-version', body, ctx.signal, token));
    },
  });
}
