import { createBackendModule } from '@backstage/backend-plugin-api';
import type { Entity } from '@backstage/catalog-model';
import { catalogProcessingExtensionPoint } from '@backstage/plugin-catalog-node';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

const RESOLUTION_MS = 10;

/** Counts the catalog's processing passes: each entity processed calls `preProcessEntity` once. */
export class ProcessingCounter {
  total = 0;
  /** Passes over the watched entities (those of the manifest the benchmark changes). */
  watched = 0;

  constructor(private readonly isWatched: (entity: Entity) => boolean) {}

  /** A catalog module adding the counting processor through the processing extension point. */
  module() {
    const counter = this;
    return createBackendModule({
      pluginId: 'catalog',
      moduleId: 'bench-processing-counter',
      register(env) {
        env.registerInit({
          deps: { catalog: catalogProcessingExtensionPoint },
          async init({ catalog }) {
            catalog.addProcessor({
              getProcessorName: () => 'BenchProcessingCounter',
              async preProcessEntity(entity: Entity) {
                counter.total += 1;
                if (counter.isWatched(entity)) {
                  counter.watched += 1;
                }
                return entity;
              },
            });
          },
        });
      },
    });
  }

  snapshot(): { total: number; watched: number } {
    return { total: this.total, watched: this.watched };
  }
}

/** The entities of the application `name`: its Component and its Resources (`<name>-<component>`). */
export function entitiesOfApplication(name: string): (entity: Entity) => boolean {
  return entity => {
    const entityName = entity.metadata.name;
    return entityName === name || (entity.kind === 'Resource' && entityName.startsWith(`${name}-`));
  };
}

/** The longest event-loop stall since the last `reset()`, in milliseconds. */
export class StallProbe {
  // 10 ms resolution: fine enough for a 1 s target, cheap enough not to disturb the catalog.
  private readonly histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });

  constructor() {
    this.histogram.enable();
  }

  reset(): void {
    this.histogram.reset();
  }

  /** The histogram records a stall only when its timer fires after it: wait for that first. */
  async maxMs(): Promise<number> {
    await sleep(3 * RESOLUTION_MS);
    return this.histogram.max / 1e6;
  }

  stop(): void {
    this.histogram.disable();
  }
}
