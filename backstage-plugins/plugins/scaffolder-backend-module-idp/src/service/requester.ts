import { parseEntityRef, stringifyEntityRef, type UserEntity } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';

/**
 * Who asked: the task's user ref and the groups the user belongs to. The service records both;
 * for `promotion.protected` it believes the signed token (X-Backstage-Token), not these.
 */
export function requester(user?: { entity?: UserEntity; ref?: string }): {
  requestedBy: string;
  requestedByGroups: string[];
} {
  const entity = user?.entity;
  const requestedBy = user?.ref ?? (entity ? stringifyEntityRef(entity) : undefined);
  if (!requestedBy) {
    // The service audits who asked; a task without a user (a bare API call) cannot say it.
    throw new InputError('the task has no signed-in user: the IDP actions need to know who asked');
  }
  const groups = new Set<string>();
  for (const relation of entity?.relations ?? []) {
    if (relation.type === 'memberOf') {
      groups.add(relation.targetRef);
    }
  }
  for (const group of entity?.spec?.memberOf ?? []) {
    const defaults = { defaultKind: 'group', defaultNamespace: entity?.metadata.namespace ?? 'default' };
    groups.add(stringifyEntityRef(parseEntityRef(group, defaults)));
  }
  return { requestedBy, requestedByGroups: [...groups].sort() };
}

/**
 * The body the service gets: the inputs, who asked, and whether it is a dry run. A template's
 * unset optional parameter renders as '' (`version: ${{ parameters.version }}`): such fields are
 * left out, as if the template had not named them.
 */
export function requestBody(
  input: Record<string, unknown>,
  user: { entity?: UserEntity; ref?: string } | undefined,
  isDryRun: boolean | undefined,
): Record<string, unknown> {
  const fields = Object.entries(input).filter(([, value]) => value !== '' && value !== undefined);
  return { ...Object.fromEntries(fields), ...requester(user), dryRun: isDryRun === true };
}
