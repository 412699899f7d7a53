import type { ActionContext } from '@backstage/plugin-scaffolder-node';
import type { z as zod } from 'zod/v3';

type Z = typeof zod;
import type { IdpActionResult } from './IdpServiceClient';

/** The outputs both actions share, each with its description (zod v3, as the scaffolder wants). */
export const actionOutput = {
  pullRequestUrl: (z: Z) =>
    z
      .string()
      .optional()
      .describe('The manifest pull request (absent on a dry run, or with a plain git remote)'),
  branch: (z: Z) =>
    z.string().optional().describe('The branch holding the change (absent on a dry run)'),
  diff: (z: Z) => z.string().describe('The unified diff of the manifest change'),
  changed: (z: Z) =>
    z.boolean().describe('Whether the manifest changed (false: it already said so)'),
};

/** Sets the outputs from the service's answer. */
export function writeOutputs(ctx: Pick<ActionContext<any, any>, 'output' | 'logger'>, result: IdpActionResult): void {
  if (result.pullRequestUrl) {
    ctx.output('pullRequestUrl', result.pullRequestUrl);
  }
  if (result.branch) {
    ctx.output('branch', result.branch);
  }
  ctx.output('diff', result.diff);
  ctx.output('changed', result.changed);
  ctx.logger.info(result.changed ? `manifest change:\n${result.diff}` : 'the manifest already says so: nothing changed');
}
