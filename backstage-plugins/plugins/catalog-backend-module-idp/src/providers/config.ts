import {
  readSchedulerServiceTaskScheduleDefinitionFromConfig,
  type SchedulerServiceTaskScheduleDefinition,
} from '@backstage/backend-plugin-api';
import { type Config, readDurationFromConfig } from '@backstage/config';
import { durationToMilliseconds } from '@backstage/types';

/** One `catalog.providers.idp.<id>` entry, read and checked. */
export interface IdpProviderConfig {
  id: string;
  /** Without a trailing slash. */
  baseUrl: string;
  token?: string;
  schedule: SchedulerServiceTaskScheduleDefinition;
  /** How often a full mutation replaces everything the provider applied, to heal drift. */
  fullEveryMs: number;
  /** The longest one read of the service may take. */
  timeoutMs: number;
}

export const DEFAULT_FULL_EVERY_MS = 60 * 60 * 1000;
export const DEFAULT_TIMEOUT_MS = 60 * 1000;

/** Reads every configured instance; none configured answers an empty list. */
export function readIdpProviderConfigs(config: Config): IdpProviderConfig[] {
  const providers = config.getOptionalConfig('catalog.providers.idp');
  if (!providers) {
    return [];
  }
  return providers.keys().map(id => readOne(id, providers.getConfig(id)));
}

function readOne(id: string, config: Config): IdpProviderConfig {
  const where = `catalog.providers.idp.${id}`;
  const baseUrl = config.getString('baseUrl').replace(/\/+$/, '');
  let protocol: string;
  try {
    protocol = new URL(baseUrl).protocol;
  } catch {
    throw new Error(`${where}.baseUrl: "${baseUrl}" is not a URL`);
  }
  if (protocol !== 'http:' && protocol !== 'https:') {
    throw new Error(`${where}.baseUrl: "${baseUrl}" is not an http(s) URL`);
  }
  if (!config.has('schedule')) {
    throw new Error(`${where}.schedule is missing (e.g. {frequency: {minutes: 5}, timeout: {minutes: 1}})`);
  }
  const fullEveryMs = config.has('fullEvery')
    ? durationToMilliseconds(readDurationFromConfig(config, { key: 'fullEvery' }))
    : DEFAULT_FULL_EVERY_MS;
  if (!(fullEveryMs > 0)) {
    throw new Error(`${where}.fullEvery must be longer than zero`);
  }
  return {
    id,
    baseUrl,
    token: config.getOptionalString('token'),
    schedule: readSchedulerServiceTaskScheduleDefinitionFromConfig(config.getConfig('schedule')),
    fullEveryMs,
    timeoutMs: DEFAULT_TIMEOUT_MS,
  };
}
