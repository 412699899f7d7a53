// Test helper: compares an action's input (JSON Schema made from its zod schema) with the request
// body the service's OpenAPI document declares for the same action: field names, which are
// required, and their types, nested objects, lists and maps included.

type Schema = Record<string, any>;

/** Fields the action adds itself; the service takes them, the template does not. */
export const ADDED_BY_ACTION = ['requestedBy', 'requestedByGroups', 'dryRun'];

function resolve(document: Schema, schema: Schema | undefined): Schema | undefined {
  let current = schema;
  for (let hops = 0; current?.$ref && hops < 20; hops++) {
    const parts = String(current.$ref).replace(/^#\//, '').split('/');
    current = parts.reduce<any>((node, part) => node?.[part], document);
  }
  return current;
}

/** The schema without a nullable branch: pydantic writes `X | None` as anyOf [X, {type: null}]. */
function nonNull(document: Schema, schema: Schema | undefined): Schema | undefined {
  const resolved = resolve(document, schema);
  const branches = resolved?.anyOf ?? resolved?.oneOf;
  if (Array.isArray(branches)) {
    const real = branches.map(b => resolve(document, b)).filter(b => b?.type !== 'null');
    if (real.length === 1) return nonNull(document, real[0]);
  }
  return resolved;
}

/**
 * The request body schema the OpenAPI document gives `POST /api/v1/actions/<action>`: its own path,
 * or the templated `/api/v1/actions/{action}` (of several variants, the one sharing most field names
 * with `like`). Undefined when the document has neither.
 */
export function actionRequestSchema(document: Schema, action: string, like: Schema): Schema | undefined {
  const paths = document.paths ?? {};
  const templated = Object.keys(paths).find(p => /^\/api\/v1\/actions\/\{[^}]+\}$/.test(p));
  const operation = paths[`/api/v1/actions/${action}`]?.post ?? (templated ? paths[templated].post : undefined);
  const body = resolve(document, operation?.requestBody)?.content?.['application/json']?.schema;
  const schema = resolve(document, body);
  const variants = schema?.oneOf ?? schema?.anyOf;
  if (!Array.isArray(variants)) return schema;
  const names = new Set(Object.keys(like.properties ?? {}));
  const score = (v: Schema) => Object.keys(resolve(document, v)?.properties ?? {}).filter(n => names.has(n)).length;
  return resolve(document, [...variants].sort((a, b) => score(b) - score(a))[0]);
}

function typeOf(schema: Schema | undefined): string {
  if (!schema) return 'missing';
  if (schema.enum) return `enum(${[...schema.enum].sort().join('|')})`;
  if (schema.const !== undefined) return `const(${schema.const})`;
  return String(schema.type ?? (schema.properties ? 'object' : 'any'));
}

/** Every difference between the action's schema and the service's, one line each (empty: none). */
export function schemaDifferences(
  document: Schema,
  action: Schema,
  service: Schema,
  at = '',
  added: string[] = ADDED_BY_ACTION,
): string[] {
  const problems: string[] = [];
  const ours = action.properties ?? {};
  const theirs = service.properties ?? {};
  for (const name of Object.keys(theirs)) {
    if (!(name in ours) && !added.includes(name)) problems.push(`${at}${name}: the service takes it, the action does not`);
  }
  for (const name of added) {
    if (!(name in theirs)) problems.push(`${at}${name}: the action sends it, the service does not take it`);
  }
  const ourRequired = new Set<string>(action.required ?? []);
  const theirRequired = new Set<string>((service.required ?? []).filter((n: string) => !added.includes(n)));
  for (const [name, property] of Object.entries<Schema>(ours)) {
    const where = `${at}${name}`;
    if (!(name in theirs)) {
      problems.push(`${where}: the action has it, the service does not take it`);
      continue;
    }
    if (ourRequired.has(name) !== theirRequired.has(name)) {
      const who = ourRequired.has(name) ? 'the action' : 'the service';
      problems.push(`${where}: required by ${who} only`);
    }
    problems.push(...compareTypes(document, property, theirs[name], where));
  }
  return problems;
}

function compareTypes(document: Schema, ours: Schema, theirsRaw: Schema, where: string): string[] {
  const theirs = nonNull(document, theirsRaw);
  const [a, b] = [typeOf(ours), typeOf(theirs)];
  if (a !== b) return [`${where}: the action says ${a}, the service ${b}`];
  if (a === 'object' && (ours.properties || theirs?.properties)) {
    return schemaDifferences(document, ours, theirs ?? {}, `${where}.`, []);
  }
  if (a === 'object') {
    const [x, y] = [ours.additionalProperties, nonNull(document, theirs?.additionalProperties)];
    if (typeof x === 'object' && typeof y === 'object') {
      return compareTypes(document, x, y, `${where}.*`);
    }
  }
  if (a === 'array') {
    return compareTypes(document, ours.items ?? {}, resolve(document, theirs?.items) ?? {}, `${where}[]`);
  }
  return [];
}
