// The maintenance tasks that need only PostgreSQL, Redis and settings, wired as task bodies. The
// orchestrator adds outbox_process (it owns a delivery engine); the console runs these on demand.
import type { Logger, MaintenanceSettings, Pool, RedisClient, StreamKeys } from "@m10/shared";
import { reconcileDeadLetters } from "./dl-reconcile.js";
import { refreshStaleMatviews } from "./matview-refresh.js";
import { sweepPendingCandidates } from "./pending-sweep.js";
import { reclaimGarbage } from "./reclaim-gc.js";
import { runRetention } from "./retention.js";
import type { TaskName } from "./tasks.js";

export type TaskBody = (options: { dryRun: boolean; signal: AbortSignal }) => Promise<Record<string, unknown>>;

/** Every task but outbox_process, which delivers events and so belongs to a process with delivery targets. */
export type StandaloneTaskName = Exclude<TaskName, "outbox_process">;

export interface TaskBodyWiring {
  pool: Pool;
  redis: RedisClient | undefined;
  keys: StreamKeys;
  settings: MaintenanceSettings & { M10_DEAD_LETTER_MAX_LEN: number; M10_MAX_RECLAIM_ATTEMPTS: number };
  logger: Logger;
}

export function standaloneTaskBodies(w: TaskBodyWiring): Record<StandaloneTaskName, TaskBody> {
  const { settings } = w;
  return {
    dl_reconcile: (options) => reconcileDeadLetters({ db: w.pool, redis: w.redis, keys: w.keys, logger: w.logger, settings }, options),
    matview_refresh: (options) => refreshStaleMatviews({ db: w.pool, logger: w.logger }, { ...options, maxAgeSeconds: settings.M10_MATVIEW_MAX_AGE_SECONDS }),
    retention: (options) => runRetention({ db: w.pool, logger: w.logger, settings }, options),
    reclaim_gc: (options) => reclaimGarbage({ db: w.pool, logger: w.logger, settings }, options),
    pending_sweep: (options) => sweepPendingCandidates({ db: w.pool, redis: w.redis, keys: w.keys, logger: w.logger, settings }, options),
  };
}
