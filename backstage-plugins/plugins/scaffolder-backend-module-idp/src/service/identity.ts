import type { AuthService, BackstageCredentials } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';

/**
 * The header that carries the task user's token, beside the shared `Authorization: Bearer` token.
 * The service checks it against Backstage's keys (`auth.backstage` in its configuration).
 */
export const BACKSTAGE_TOKEN_HEADER = 'X-Backstage-Token';

/** What the actions need of `coreServices.auth`. */
export type IdentityAuth = Pick<AuthService, 'isPrincipal' | 'getLimitedUserToken'>;

/**
 * A token Backstage signs for the user who started the task: the limited user token of the
 * task's initiator (`auth.getLimitedUserToken`), which proves who the user is and which Backstage
 * itself refuses as a credential for its own APIs, so the service cannot act as the user.
 * A task without a signed-in user (a dry run with a service token) is an InputError.
 */
export async function signedInUserToken(
  action: string,
  ctx: { getInitiatorCredentials(): Promise<BackstageCredentials> },
  auth: IdentityAuth,
): Promise<string> {
  const credentials = await ctx.getInitiatorCredentials();
  if (!auth.isPrincipal(credentials, 'user')) {
    const principal = credentials.principal as { type?: string; subject?: string };
    const who = principal.subject ? `${principal.type} ${principal.subject}` : (principal.type ?? 'nobody');
    throw new InputError(
      `${action}: the task has no signed-in user (it runs as ${who}): the IDP actions need to know who asked;` +
        ' run the template as a signed-in user, not with a service token',
    );
  }
  const { token } = await auth.getLimitedUserToken(credentials);
  return token;
}
