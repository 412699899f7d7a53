import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import type { z as zod } from 'zod/v3';
import type { IdpRestartResult, IdpServiceClient } from '../../service/IdpServiceClient';
import { type IdentityAuth, signedInUserToken } from '../../service/identity';
import { requestBody } from '../../service/requester';
import { examples } from './restartApplication.examples';

type Z = typeof zod;

/** The service's restart-application inputs: one application in one environment. */
export const restartApplicationInput = {
  application: (z: Z) => z.string().min(1).describe('The application to restart, by name'),
  environment: (z: Z) =>
    z.string().min(1).describe('The environment it runs in (its Argo CD application is <application>-<environment>)'),
};

/** What the action outputs: the Argo CD application and the Deployments restarted in it. */
export const restartApplicationOutput = {
  argocdApplication: (z: Z) => z.string().describe('The Argo CD application whose Deployments were restarted'),
  restarted: (z: Z) =>
    z
      .array(
        z.object({
          kind: z.string().describe('Always Deployment'),
          name: z.string().describe("The Deployment's name"),
          namespace: z.string().describe("The Deployment's namespace"),
        }),
      )
      .describe('Each Deployment of its resource tree, restarted (on a dry run: the ones that would be)'),
  changed: (z: Z) => z.boolean().describe('Whether Argo CD was asked to restart anything (the service says; a dry run restarts nothing)'),
};

/**
 * `idp:application:restart`: the service asks Argo CD to restart each Deployment of the
 * application's Argo CD application in one environment (the resource action `restart`), and
 * audits who did. Nothing changes in git.
 */
export function createIdpApplicationRestartAction(options: { client: IdpServiceClient; auth: IdentityAuth }) {
  return createTemplateAction({
    id: 'idp:application:restart',
    description:
      "Asks the IDP catalog service to restart an application's Deployments in one environment through Argo CD",
    examples,
    supportsDryRun: true,
    schema: { input: restartApplicationInput, output: restartApplicationOutput },
    async handler(ctx) {
      const token = await signedInUserToken('restart-application', ctx, options.auth);
      const body = requestBody(ctx.input, ctx.user, ctx.isDryRun);
      const { application, environment } = ctx.input;
      ctx.logger.info(`restart-application ${application} in ${environment}${body.dryRun ? ' (dry run)' : ''}`);
      writeRestartOutputs(ctx, await options.client.restart(body, ctx.signal, token), body.dryRun === true);
    },
  });
}

function writeRestartOutputs(
  ctx: { output(name: string, value: unknown): void; logger: { info(message: string): void } },
  result: IdpRestartResult,
  dryRun: boolean,
): void {
  ctx.output('argocdApplication', result.argocdApplication);
  ctx.output('restarted', result.restarted);
  ctx.output('changed', result.changed);
  const names = result.restarted.map(r => `${r.kind} ${r.namespace}/${r.name}`).join(', ');
  ctx.logger.info(`${dryRun ? 'would restart' : 'restarted'} in Argo CD application ${result.argocdApplication}: ${names}`);
}
