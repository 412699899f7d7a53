import type { Adoption } from '../api/types';

export interface AdoptionFigures {
  applications: number;
  manifestsAdded: number;
  pullRequests: number;
  /** Of the merged manifest pull requests, the share developers merged themselves; null: none. */
  autonomousShare: number | null;
  withoutPlatformApproval: number;
  actions: Record<'succeeded' | 'failed' | 'rejected', number>;
}

/** The dashboard's headline figures, from one `GET /api/v1/adoption` answer. */
export function adoptionFigures(adoption: Adoption): AdoptionFigures {
  const totals = adoption.manifests.map(bucket => bucket.total);
  const autonomous = sum(adoption.pullRequests.map(bucket => bucket.autonomous));
  const platformTeam = sum(adoption.pullRequests.map(bucket => bucket.platformTeam));
  const actions = { succeeded: 0, failed: 0, rejected: 0 };
  for (const bucket of adoption.actions) {
    for (const outcomes of Object.values(bucket.counts)) {
      for (const [outcome, calls] of Object.entries(outcomes)) {
        if (outcome in actions) {
          actions[outcome as keyof typeof actions] += calls;
        }
      }
    }
  }
  const pullRequests = autonomous + platformTeam;
  return {
    applications: totals.length ? totals[totals.length - 1] : 0,
    manifestsAdded: totals.length ? totals[totals.length - 1] - totals[0] : 0,
    pullRequests,
    autonomousShare: pullRequests ? autonomous / pullRequests : null,
    withoutPlatformApproval: sum(adoption.pullRequests.map(bucket => bucket.autonomousWithoutPlatformApproval)),
    actions,
  };
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
