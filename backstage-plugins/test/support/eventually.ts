import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Retries `attempt` until it stops throwing, then answers its result. Backstage processes
 * entities asynchronously, so an assertion about the catalog may only hold after a while.
 * On timeout, or when `giveUp` says so, the last failure is rethrown: the test reports what
 * was still wrong.
 */
export async function eventually<T>(
  attempt: () => Promise<T>,
  {
    timeoutMs,
    intervalMs = 250,
    giveUp = () => false,
  }: {
    timeoutMs: number;
    intervalMs?: number;
    /** Answers true for a failure that waiting cannot mend. */
    giveUp?: (error: unknown) => boolean;
  },
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (giveUp(error) || Date.now() >= deadline) {
        throw error;
      }
    }
    await sleep(intervalMs);
  }
}
