// The claim-worker service's environment: every variable it reads, with its default.
import { z } from "zod";
import { databaseEnv, redisEnv, serviceEnv } from "./common.js";
import { env } from "./env.js";

export const claimWorkerConfigSchema = z.object({
  ...databaseEnv,
  ...redisEnv,
  ...serviceEnv(9101),
  RECOVERY_WORKER_BATCH_SIZE: env.int(250, "candidates per evaluation batch (one transaction); --batch-size", 1),
  RECOVERY_WORKER_POLL_INTERVAL: env.number(5, "safety net: longest wait (s) of an empty work_queue for a NOTIFY m10_work (a committed item wakes the worker at once); --poll-interval"),
  RECOVERY_WORKER_CONCURRENCY: env.int(2, "evaluation batches in flight at once (about one per core PostgreSQL can give the worker); --concurrency", 1),
  M10_USE_STREAM: env.bool(true, "consume the Redis stream (false = DB work_queue only); --use-stream / --no-use-stream"),
  M10_BLOCK_MS: env.int(2_000, "XREADGROUP BLOCK time (ms)", 1),
  M10_RECLAIM_INTERVAL_MS: env.int(5_000, "how often pending stream entries are scanned for reclaim and dead-lettering (ms)", 1),
  M10_MAX_RECLAIM_PER_LOOP: env.int(100, "pending entries examined per reclaim scan", 1),
  M10_RECLAIM_MAX_BACKOFF_MS: env.int(86_400_000, "cap of the reclaim idle backoff M10_CLAIM_IDLE_MS * 2^(deliveries-1) (ms)", 1),
  M10_EVALUATION_LEASE_MS: env.int(30_000, "evaluation lease on a candidate; keep it below M10_CLAIM_IDLE_MS so a reclaimed message finds the lease expired (ms)", 1),
  M10_WORK_STALLED_SECONDS: env.int(300, "work_queue claims older than this are returned by release_stalled_work", 1),
  M10_RELEASE_STALLED_INTERVAL_MS: env.int(60_000, "how often release_stalled_work runs (ms)", 1),
  M10_HISTORY_LIMIT: env.int(50, "past outcomes per error code read for the historical rule", 1),
  RECOVERY_AUTO_EXECUTE_MIN_CONFIDENCE: env.number(0.8, "minimum confidence for recovery.action_requested on an automated, approval-free action"),
});
export type ClaimWorkerConfig = z.infer<typeof claimWorkerConfigSchema>;
