// The orchestrator service's environment: every variable it reads, with its default.
// `maintenanceEnv` is shared with m10ctl, which runs the same maintenance code by hand.
import { z } from "zod";
import { databaseEnv, natsEnv, redisEnv, serviceEnv } from "./common.js";
import { env } from "./env.js";
import { outboxDeliveryEnv } from "./outbox-processor.js";

/** Settings of the maintenance tasks (orchestrator and the equivalent m10ctl commands). */
export const maintenanceEnv = {
  M10_ORCHESTRATOR_TIMEOUT: env.int(300, "per-task timeout in seconds (--timeout overrides it)", 1),
  M10_LOCK_TTL_MARGIN_SECONDS: env.int(60, "a task's lock TTL is its timeout plus this margin (the lock is extended while it runs)", 1),
  M10_SWEEP_AFTER_SECONDS: env.int(300, "pending_sweep re-enqueues candidates committed this long ago and still not evaluated", 1),
  M10_SWEEP_BATCH_SIZE: env.int(1_000, "candidates pending_sweep re-enqueues per run at most", 1),
  M10_SWEEP_RESWEEP_SECONDS: env.int(3_600, "pending_sweep does not re-enqueue the same candidate again within this window", 0),
  M10_EVALUATION_LEASE_MS: env.int(30_000, "evaluation lease on a candidate, as the claim worker's (ms); reclaim_gc clears older leases", 1),
  M10_WORK_STALLED_SECONDS: env.int(300, "reclaim_gc releases work_queue claims older than this (release_stalled_work)", 1),
  M10_MATVIEW_MAX_AGE_SECONDS: env.int(300, "matview_refresh refreshes a materialized view older than this", 0),
  M10_RETENTION_BATCH_SIZE: env.int(1_000, "rows archived or deleted per statement by the retention task", 1),
  DL_ARCHIVE_RETENTION_DAYS: env.int(90, "dead_letter_archive rows older than this (archived_at) are deleted", 1),
  SUGGESTION_ARCHIVE_RETENTION_DAYS: env.int(
    365,
    "suggestion_provenance_archive and suggestion_input_archive rows older than this (archived_at) are deleted: whole months first (their partitions are dropped), then the rest",
    1,
  ),
  REPLAY_LOG_RETENTION_DAYS: env.int(30, "replay_log rows older than this (replayed_at) are deleted", 1),
  OUTBOX_RETENTION_DAYS: env.int(7, "processed outbox rows older than this (processed_at) are deleted", 1),
  WORK_QUEUE_RETENTION_DAYS: env.int(7, "processed work_queue rows older than this (processed_at) are deleted", 1),
  M10_DL_RECONCILE_BATCH_SIZE: env.int(1_000, "entries dl_reconcile reads per XPENDING / XRANGE call", 1),
  M10_ORCHESTRATOR_OUTBOX_BATCH_SIZE: env.int(100, "outbox events outbox_process delivers per run", 1),
};

export const orchestratorConfigSchema = z.object({
  ...databaseEnv,
  ...redisEnv,
  ...natsEnv,
  ...serviceEnv(9103),
  ...maintenanceEnv,
  // outbox_process runs the outbox-processor's delivery engine, with the same settings.
  ...outboxDeliveryEnv,
});
export type OrchestratorConfig = z.infer<typeof orchestratorConfigSchema>;

/** The maintenance settings alone (what the shared task implementations read). */
export type MaintenanceSettings = z.infer<z.ZodObject<typeof maintenanceEnv>>;
