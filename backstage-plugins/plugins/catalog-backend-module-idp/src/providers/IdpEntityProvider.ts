import type {
  LoggerService,
  SchedulerService,
  SchedulerServiceTaskRunner,
} from '@backstage/backend-plugin-api';
import type { Config } from '@backstage/config';
import type { Entity } from '@backstage/catalog-model';
import type {
  DeferredEntity,
  EntityProvider,
  EntityProviderConnection,
} from '@backstage/plugin-catalog-node';
import type { EventsService } from '@backstage/plugin-events-node';
import { type IdpProviderConfig, readIdpProviderConfigs } from './config';
import { type EntityHashes, hashEntities, refOf } from './entityHashes';
import { IdpReadError, readEntities } from './readEntities';

/** The events topic on which the catalog service announces a new snapshot. */
export const IDP_CATALOG_TOPIC = 'idp.catalog';

/** What one refresh did: tests and logs read it. */
export type RefreshOutcome =
  | { status: 'not-connected' }
  | { status: 'not-modified' }
  | { status: 'unchanged'; revision: string }
  | { status: 'applied'; type: 'full' | 'delta'; added: number; removed: number; revision: string }
  | { status: 'failed'; reason: string };

/** What the provider applied last: the ETag it read, and a hash per entity ref. */
interface Applied {
  etag?: string;
  revision: string;
  entities: Entity[];
  hashes: EntityHashes;
  fullAt: number;
}

/**
 * Reads the catalog service's entities and hands the catalog only what changed since the last
 * applied read. Any failed read applies nothing: the catalog keeps what it has.
 */
export class IdpEntityProvider implements EntityProvider {
  private connection?: EntityProviderConnection;
  private applied?: Applied;
  private running?: Promise<RefreshOutcome>;
  private queued?: Promise<RefreshOutcome>;

  /** One provider per `catalog.providers.idp.<id>`. */
  static fromConfig(
    config: Config,
    options: { logger: LoggerService; scheduler: SchedulerService },
  ): IdpEntityProvider[] {
    return readIdpProviderConfigs(config).map(
      providerConfig =>
        new IdpEntityProvider({
          config: providerConfig,
          logger: options.logger,
          taskRunner: options.scheduler.createScheduledTaskRunner(providerConfig.schedule),
        }),
    );
  }

  /** Reads at once, in every given provider, whenever an event arrives on `idp.catalog`. */
  static async subscribe(events: EventsService, providers: IdpEntityProvider[]): Promise<void> {
    if (providers.length === 0) {
      return;
    }
    await events.subscribe({
      id: 'idp-entity-provider',
      topics: [IDP_CATALOG_TOPIC],
      onEvent: async () => {
        await Promise.all(providers.map(provider => provider.refresh()));
      },
    });
  }

  constructor(
    private readonly options: {
      config: IdpProviderConfig;
      logger: LoggerService;
      taskRunner: SchedulerServiceTaskRunner;
      now?: () => number;
    },
  ) {}

  getProviderName(): string {
    return `idp:${this.options.config.id}`;
  }

  async connect(connection: EntityProviderConnection): Promise<void> {
    this.connection = connection;
    await this.options.taskRunner.run({
      id: `${this.getProviderName()}:refresh`,
      fn: async () => {
        await this.refresh();
      },
    });
  }

  /**
   * Reads the service and applies what changed. Never throws. Reads run one at a time; a call
   * while one runs waits for it and then reads once more (an event may announce a newer state).
   */
  refresh(): Promise<RefreshOutcome> {
    if (!this.running) {
      this.running = this.refreshOnce().finally(() => {
        this.running = undefined;
      });
      return this.running;
    }
    this.queued ??= this.running.then(() => {
      this.queued = undefined;
      return this.refresh();
    });
    return this.queued;
  }

  private async refreshOnce(): Promise<RefreshOutcome> {
    const connection = this.connection;
    if (!connection) {
      return { status: 'not-connected' };
    }
    try {
      return await this.readAndApply(connection);
    } catch (error) {
      const reason =
        error instanceof IdpReadError
          ? error.message
          : `could not apply the mutation: ${(error as Error).message}`;
      this.options.logger.warn(`${this.getProviderName()}: applied nothing, the catalog keeps what it has: ${reason}`);
      return { status: 'failed', reason };
    }
  }

  private async readAndApply(connection: EntityProviderConnection): Promise<RefreshOutcome> {
    const { config, logger } = this.options;
    const now = this.options.now?.() ?? Date.now();
    const last = this.applied;
    const fullDue = last === undefined || now - last.fullAt >= config.fullEveryMs;
    const read = await readEntities({
      baseUrl: config.baseUrl,
      token: config.token,
      etag: last?.etag,
      timeoutMs: config.timeoutMs,
      known: last?.hashes.byText, // unchanged items are neither parsed nor hashed again
    });
    if (read.status === 'not-modified') {
      if (last && fullDue) {
        // Nothing new to read, but the time has come to heal drift with what was read last.
        await this.applyFull(connection, last.entities);
        this.applied = { ...last, fullAt: now };
        logger.info(`${this.getProviderName()}: full mutation of ${last.entities.length} entities (unchanged, revision ${last.revision})`);
        return { status: 'applied', type: 'full', added: last.entities.length, removed: 0, revision: last.revision };
      }
      logger.debug(`${this.getProviderName()}: not modified`);
      return { status: 'not-modified' };
    }
    if (read.entities.length === 0 && (last === undefined || last.entities.length > 0)) {
      throw new IdpReadError(
        `GET ${config.baseUrl}/api/v1/entities answered no entities (revision ${read.revision}); ` +
          'applying that would empty the catalog',
      );
    }
    const hashes = await hashEntities(read.entities, read.textHashes, last?.hashes.byText);
    const next: Applied = { etag: read.etag, revision: read.revision, entities: read.entities, hashes, fullAt: now };
    if (fullDue) {
      await this.applyFull(connection, read.entities);
      this.applied = next;
      logger.info(`${this.getProviderName()}: full mutation of ${read.entities.length} entities (revision ${read.revision})`);
      return { status: 'applied', type: 'full', added: read.entities.length, removed: 0, revision: read.revision };
    }
    next.fullAt = last.fullAt;
    const added = read.entities.filter(
      entity => last.hashes.byRef.get(refOf(entity)) !== hashes.byRef.get(refOf(entity)),
    );
    const removed = [...last.hashes.byRef.keys()].filter(ref => !hashes.byRef.has(ref));
    if (added.length > 0 || removed.length > 0) {
      const locationKey = this.getProviderName();
      await connection.applyMutation({
        type: 'delta',
        added: added.map(entity => ({ entity, locationKey })),
        removed: removed.map(entityRef => ({ entityRef, locationKey })),
      });
    }
    this.applied = next;
    if (added.length === 0 && removed.length === 0) {
      logger.debug(`${this.getProviderName()}: revision ${read.revision} changes no entity`);
      return { status: 'unchanged', revision: read.revision };
    }
    logger.info(
      `${this.getProviderName()}: delta mutation, ${added.length} added or changed, ${removed.length} removed (revision ${read.revision})`,
    );
    return { status: 'applied', type: 'delta', added: added.length, removed: removed.length, revision: read.revision };
  }

  private async applyFull(connection: EntityProviderConnection, entities: Entity[]): Promise<void> {
    // The location key binds each entity to this provider: another provider or Location
    // cannot take it over, and the annotations the service sets are kept as they are.
    const locationKey = this.getProviderName();
    const deferred: DeferredEntity[] = entities.map(entity => ({ entity, locationKey }));
    await connection.applyMutation({ type: 'full', entities: deferred });
  }
}
