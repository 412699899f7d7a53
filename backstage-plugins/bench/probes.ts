import { createBackendModule } from '@backstage/backend-plugin-api';
import type { Entity } from '@backstage/catalog-model';
import { catalogProcessingExtensionPoint } from '@backstage/plugin-catalog-node';
import { setTimeout as sleep } from 'node:timers/promises';

const INTERVAL_MS = 10;

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

/**
 * The longest event-loop stall since the last `reset()`, in milliseconds: how late a 10 ms
 * interval fires. (perf_hooks' monitorEventLoopDelay drops the first sample after its reset(),
 * so a stall just after a reset went unseen.)
 */
export class StallProbe {
  private last = performance.now();
  private longest = 0;
  private readonly timer = setInterval(() => {
    const now = performance.now();
    this.longest = Math.max(this.longest, now - this.last - INTERVAL_MS);
    this.last = now;
  }, INTERVAL_MS);

  reset(): void {
    this.longest = 0;
  }

  /** A stall is seen only when the interval fires after it: wait for that first. */
  async maxMs(): Promise<number> {
    await sleep(3 * INTERVAL_MS);
    return this.longest;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
