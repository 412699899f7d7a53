import type { ApplicationStatus, DatabaseCopy, PodStatus } from '../api/types';
import { formatTime } from './format';

/** What a pod's reason means, in words; an unknown reason is shown as it is. */
const REASONS: Record<string, string> = {
  CrashLoopBackOff: 'is crash-looping',
  ImagePullBackOff: 'cannot pull its image',
  ErrImagePull: 'cannot pull its image',
  OOMKilled: 'ran out of memory',
  CreateContainerConfigError: 'cannot start: its configuration is wrong',
  Evicted: 'was evicted',
  Error: 'exited with an error',
};

/**
 * An unhealthy pod in plain words: `payments-api-7d9-abc is crash-looping (CrashLoopBackOff),
 * restarted 12 times: back-off 5m0s restarting failed container`.
 */
export function describePod(pod: PodStatus): string {
  const reason = pod.reason ?? undefined;
  const what = reason ? `${REASONS[reason] ?? `is ${pod.health.toLowerCase()}`} (${reason})` : `is ${pod.health.toLowerCase()}`;
  const restarts = pod.restartCount ? `, ${pod.restartCount === 1 ? 'restarted once' : `restarted ${pod.restartCount} times`}` : '';
  const message = pod.message ? `: ${pod.message}` : '';
  return `${pod.name} ${what}${restarts}${message}`;
}

/** `in 5 h`, `in 40 min`, `in 3 d 2 h`... or `expired` once past (a cached answer may still list it). */
export function expiresIn(expiresAt: string, now: number = Date.now()): string {
  const minutes = Math.round((Date.parse(expiresAt) - now) / 60_000);
  if (Number.isNaN(minutes)) {
    return 'expires at an unreadable time';
  }
  if (minutes <= 0) {
    return 'expired';
  }
  if (minutes < 60) {
    return `expires in ${minutes} min`;
  }
  return `expires in ${Math.round(minutes / 60)} h`;
}

/** `orders-db copy from prod, expires in 5 h (2026-12-03 09:00 UTC)`. */
export function describeCopy(copy: DatabaseCopy, now: number = Date.now()): string {
  return `${copy.component} copy from ${copy.from}, ${expiresIn(copy.expiresAt, now)} (${formatTime(copy.expiresAt)})`;
}

/** Said under the table when the status has no Argo CD part; undefined when Argo CD answered. */
export function argocdNote(argocd: ApplicationStatus['argocd']): string | undefined {
  if (argocd.state === 'not-configured') {
    return 'Argo CD is not configured on the IDP catalog service: the versions are those in git.';
  }
  if (argocd.state === 'unavailable') {
    return `Argo CD did not answer${argocd.message ? ` (${argocd.message})` : ''}: the versions are those in git.`;
  }
  return undefined;
}
