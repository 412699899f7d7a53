import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import type { z as zod } from 'zod/v3';
import type { IdpServiceClient } from '../../service/IdpServiceClient';
import { actionOutput, writeOutputs } from '../../service/output';
import { type IdentityAuth, signedInUserToken } from '../../service/identity';
import { requestBody } from '../../service/requester';
import { examples } from './promoteImage.examples';

type Z = typeof zod;

/** The service's promote-image inputs: one step along the configured environment order. */
export const promoteImageInput = {
  application: (z: Z) => z.string().min(1).describe('The application to promote, by name'),
  from: (z: Z) => z.string().min(1).describe('The environment whose version is copied'),
  to: (z: Z) =>
    z
      .string()
      .min(1)
      .optional()
      .describe('The next environment in the configured order, which gets that version (default: the next one)'),
  version: (z: Z) =>
    z
      .string()
      .optional()
      .describe('The version expected in the source environment: refused if the manifest says another'),
};

/** `idp:image:promote`: the service copies a version to the next environment and opens a pull request. */
export function createIdpImagePromoteAction(options: { client: IdpServiceClient; auth: IdentityAuth }) {
  return createTemplateAction({
    id: 'idp:image:promote',
    description:
      "Asks the IDP catalog service to copy an application's version from one environment to the next, and open its pull request",
    examples,
    supportsDryRun: true,
    schema: { input: promoteImageInput, output: actionOutput },
    async handler(ctx) {
      const token = await signedInUserToken('promote-image', ctx, options.auth);
      const body = requestBody(ctx.input, ctx.user, ctx.isDryRun);
      const { application, from, to } = ctx.input;
      ctx.logger.info(`promote-image ${application} ${from} → ${to ?? 'the next environment'}${body.dryRun ? ' (dry run)' : ''}`);
      writeOutputs(ctx, await options.client.run('promote-image', body, ctx.signal, token));
    },
  });
}
