import type { Entity } from '@backstage/catalog-model';

/** The annotation the catalog service puts on each Component per environment it lists. */
export const VERSION_ANNOTATION_PREFIX = 'idp/version.';

export interface EnvironmentLink {
  url: string;
  title: string;
}

export interface EnvironmentRow {
  environment: string;
  /** The version in git; undefined when the application does not list this environment. */
  version: string | undefined;
  links: EnvironmentLink[];
  /** The environment a promotion from this one goes to; undefined for the last one. */
  next: string | undefined;
}

/**
 * One row per environment: those configured (`idp.environments` in app-config), in that order,
 * else the entity's own `idp/version.*` annotations in the order the service wrote them
 * (which is the configured order). An annotated environment missing from the configuration
 * still gets its row, after the configured ones: nothing in git is hidden.
 */
export function environmentRows(entity: Entity, configured: readonly string[] | undefined): EnvironmentRow[] {
  const annotations = entity.metadata.annotations ?? {};
  const versions = new Map<string, string>();
  for (const [key, value] of Object.entries(annotations)) {
    if (key.startsWith(VERSION_ANNOTATION_PREFIX) && key.length > VERSION_ANNOTATION_PREFIX.length) {
      versions.set(key.slice(VERSION_ANNOTATION_PREFIX.length), String(value));
    }
  }
  const order = [...(configured ?? [])];
  for (const environment of versions.keys()) {
    if (!order.includes(environment)) {
      order.push(environment);
    }
  }
  const links = entityLinks(entity);
  return order.map((environment, index) => ({
    environment,
    version: versions.get(environment),
    links: links.filter(link => namesEnvironment(link, environment)),
    next: order[index + 1],
  }));
}

function entityLinks(entity: Entity): EnvironmentLink[] {
  const links = entity.metadata.links ?? [];
  return links
    .filter(link => typeof link?.url === 'string' && isWebUrl(link.url))
    .map(link => ({ url: link.url, title: typeof link.title === 'string' && link.title ? link.title : link.url }));
}

/** A link template fills `{environment}` into its title or URL: a whole word of either. */
function namesEnvironment(link: EnvironmentLink, environment: string): boolean {
  const word = new RegExp(`(^|[^A-Za-z0-9])${escapeRegExp(environment)}($|[^A-Za-z0-9])`, 'i');
  return word.test(link.title) || word.test(link.url);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Only http(s) links are rendered: a `javascript:` URL from a manifest never becomes a link. */
export function isWebUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:';
  } catch {
    return false;
  }
}

/** The scaffolder's page of the promote-image template, its form pre-filled (`formData`). */
export function promoteUrl(
  templatePath: string,
  entityRef: string,
  from: string,
  to: string,
  version: string | undefined,
): string {
  const formData: Record<string, string> = { application: entityRef, from, to };
  if (version !== undefined) {
    formData.version = version;
  }
  return `${templatePath}?${new URLSearchParams({ formData: JSON.stringify(formData) }).toString()}`;
}

/** The application an entity stands for: its name (the service's application name). */
export function applicationName(entity: Entity): string {
  return entity.metadata.name;
}

/** The scaffolder's page of the restart-application template, pre-filled with the application and environment. */
export function restartUrl(templatePath: string, entityRef: string, environment: string): string {
  const formData = { application: entityRef, environment };
  return `${templatePath}?${new URLSearchParams({ formData: JSON.stringify(formData) }).toString()}`;
}
