// Test helper: the action's zod input as one strict object, and a walk over its JSON Schema.
import { z } from 'zod/v3';

export function strictInput(fields: Record<string, (zImpl: typeof z) => z.ZodTypeAny>) {
  return z.object(Object.fromEntries(Object.entries(fields).map(([key, field]) => [key, field(z)]))).strict();
}

/** Paths of JSON Schema properties that have no description. */
export function undescribed(schema: any, path = ''): string[] {
  const missing: string[] = [];
  for (const [key, property] of Object.entries<any>(schema?.properties ?? {})) {
    const at = path ? `${path}.${key}` : key;
    if (!property.description) missing.push(at);
    missing.push(...undescribed(property, at));
    if (property.items) missing.push(...undescribed(property.items, `${at}[]`));
    if (typeof property.additionalProperties === 'object') {
      missing.push(...undescribed(property.additionalProperties, `${at}.*`));
    }
  }
  return missing;
}
