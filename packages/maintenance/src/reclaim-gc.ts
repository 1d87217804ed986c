// reclaim_gc: expired distributed locks (cleanup_expired_locks), work_queue claims stalled longer
// than M10_WORK_STALLED_SECONDS (release_stalled_work, which archives an item whose claim expired
// M10_MAX_RECLAIM_ATTEMPTS times as a dead letter) and expired evaluation leases on
// recovery_candidates, so that nothing a dead process held stays out of reach.
// (The predecessor's Redis "reclaim attempts" hash does not exist in M10: delivery counts come
// from XPENDING, so there is nothing to collect there.)
import type { Logger } from "pino";
import {
  cleanupExpiredLocks,
  clearExpiredEvaluationLeases,
  countExpiredEvaluationLeases,
  type MaintenanceSettings,
  type Queryable,
  releaseStalledWork,
  workQueueDepth,
} from "@m10/shared";

export type ReclaimGcDetails = {
  dry_run: boolean;
  /** Dry run: what would be cleaned; otherwise what was. */
  expired_locks: number;
  stalled_work: number;
  expired_evaluation_leases: number;
  stalled_seconds: number;
  evaluation_lease_ms: number;
};

export async function countExpiredLocks(db: Queryable): Promise<number> {
  const result = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM m10_recovery.distributed_locks WHERE expires_at < now()");
  return result.rows[0]?.n ?? 0;
}

export async function reclaimGarbage(
  deps: { db: Queryable; logger: Logger; settings: MaintenanceSettings & { M10_MAX_RECLAIM_ATTEMPTS: number } },
  options: { dryRun: boolean; signal: AbortSignal; stalledSeconds?: number },
): Promise<ReclaimGcDetails> {
  const stalledSeconds = options.stalledSeconds ?? deps.settings.M10_WORK_STALLED_SECONDS;
  const leaseMs = deps.settings.M10_EVALUATION_LEASE_MS;
  const details: ReclaimGcDetails = {
    dry_run: options.dryRun,
    expired_locks: 0,
    stalled_work: 0,
    expired_evaluation_leases: 0,
    stalled_seconds: stalledSeconds,
    evaluation_lease_ms: leaseMs,
  };
  if (options.dryRun) {
    details.expired_locks = await countExpiredLocks(deps.db);
    details.stalled_work = (await workQueueDepth(deps.db, stalledSeconds)).stalled;
    details.expired_evaluation_leases = await countExpiredEvaluationLeases(deps.db, leaseMs);
    return details;
  }
  details.expired_locks = await cleanupExpiredLocks(deps.db);
  details.stalled_work = await releaseStalledWork(deps.db, stalledSeconds, deps.settings.M10_MAX_RECLAIM_ATTEMPTS);
  details.expired_evaluation_leases = await clearExpiredEvaluationLeases(deps.db, leaseMs);
  deps.logger.info(
    { expiredLocks: details.expired_locks, stalledWork: details.stalled_work, expiredLeases: details.expired_evaluation_leases },
    "reclaim_gc.cleaned",
  );
  return details;
}
