import { type Entity, parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';

/** `kind:namespace/name` in full lowercase, the form in which refs are compared. */
export function refOf(entity: Entity): string {
  return stringifyEntityRef(entity).toLowerCase();
}

/**
 * Resolves a reference from an entity's spec the way the catalog's built-in processor does
 * (a missing kind or namespace is filled with the given defaults) in full lowercase form.
 */
export function resolveRef(
  ref: string,
  context: { defaultKind?: string; defaultNamespace: string },
): string {
  return stringifyEntityRef(parseEntityRef(ref, context)).toLowerCase();
}

export function namespaceOf(entity: Entity): string {
  return entity.metadata.namespace ?? 'default';
}

/** The lowercase target refs of the entity's relations of one type. */
export function relationTargets(entity: Entity, type: string): string[] {
  return (entity.relations ?? [])
    .filter(relation => relation.type === type)
    .map(relation => relation.targetRef.toLowerCase());
}
