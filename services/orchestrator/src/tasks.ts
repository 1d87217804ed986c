// The task bodies the orchestrator runs: the shared maintenance implementations, wired to this
// process's pool, Redis client and settings.
import type { Logger, OrchestratorConfig, Pool, RedisClient, StreamKeys } from "@m10/shared";
import {
  type OutboxTask,
  reclaimGarbage,
  reconcileDeadLetters,
  refreshStaleMatviews,
  runRetention,
  sweepPendingCandidates,
  type TaskName,
} from "@m10/maintenance";
import type { TaskBody } from "./run.js";

export interface TaskWiring {
  pool: Pool;
  redis: RedisClient | undefined;
  keys: StreamKeys;
  config: OrchestratorConfig;
  logger: Logger;
  outbox: OutboxTask;
}

export function taskBodies(w: TaskWiring): Record<TaskName, TaskBody> {
  const settings = w.config;
  return {
    dl_reconcile: (options) => reconcileDeadLetters({ db: w.pool, redis: w.redis, keys: w.keys, logger: w.logger, settings }, options),
    matview_refresh: (options) =>
      refreshStaleMatviews({ db: w.pool, logger: w.logger }, { ...options, maxAgeSeconds: settings.M10_MATVIEW_MAX_AGE_SECONDS }),
    outbox_process: (options) => w.outbox.run(options),
    retention: (options) => runRetention({ db: w.pool, logger: w.logger, settings }, options),
    reclaim_gc: (options) => reclaimGarbage({ db: w.pool, logger: w.logger, settings }, options),
    pending_sweep: (options) =>
      sweepPendingCandidates(
        { db: w.pool, redis: w.redis, keys: w.keys, logger: w.logger, settings },
        options,
      ),
  };
}
