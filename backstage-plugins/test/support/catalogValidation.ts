import {
  DefaultNamespaceEntityPolicy,
  type Entity,
  EntityPolicies,
  FieldFormatEntityPolicy,
  type KindValidator,
  NoForeignRootFieldsEntityPolicy,
  SchemaValidEntityPolicy,
  componentEntityV1alpha1Validator,
  resourceEntityV1alpha1Validator,
  systemEntityV1alpha1Validator,
} from '@backstage/catalog-model';

// The policies the catalog backend applies to every entity before any kind-specific check.
const catalogPolicy = EntityPolicies.allOf([
  new SchemaValidEntityPolicy(),
  new DefaultNamespaceEntityPolicy(),
  new NoForeignRootFieldsEntityPolicy(),
  new FieldFormatEntityPolicy(),
]);

// Only the kinds the catalog service may emit (docs/architecture.md §6.2: no Group, User, API, ...).
const kindValidators: Record<string, KindValidator> = {
  Component: componentEntityV1alpha1Validator,
  Resource: resourceEntityV1alpha1Validator,
  System: systemEntityV1alpha1Validator,
};

/**
 * Validates an entity as the catalog does and answers it as the catalog stores it (with the
 * default namespace filled in). Throws Backstage's own error when the entity is rejected, or
 * when not exactly one of the kind validators accepts it.
 */
export async function validateAsTheCatalogDoes(entity: unknown): Promise<Entity> {
  // The policies take a copy: DefaultNamespaceEntityPolicy fills in what is missing.
  const checked = await catalogPolicy.enforce(structuredClone(entity) as Entity);
  if (!checked) {
    throw new Error('the entity policies rejected the entity without a reason');
  }
  const acceptedBy: string[] = [];
  for (const [kind, validator] of Object.entries(kindValidators)) {
    // `check` answers false for another kind and throws for an invalid entity of its own kind.
    if (await validator.check(checked)) {
      acceptedBy.push(kind);
    }
  }
  if (acceptedBy.length !== 1) {
    throw new Error(
      `expected exactly one of the kind validators (${Object.keys(kindValidators).join(', ')}) to accept ` +
        `${checked.apiVersion} ${checked.kind}, but ${acceptedBy.length} did (${acceptedBy.join(', ')})`,
    );
  }
  return checked;
}
