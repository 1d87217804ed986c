// The worker's settings from the parsed environment and the flags (flags win).
import type { ClaimWorkerConfig } from "@m10/shared";
import type { CliOptions } from "./cli.js";
import { WorkerSettingsError } from "./errors.js";
import type { WorkerOptions } from "./worker.js";

export interface ServiceSettings {
  worker: WorkerOptions;
  once: boolean;
  logLevel: string;
  /** REDIS_URL, or undefined when Redis is not configured (empty REDIS_URL) or not used. */
  redisUrl: string | undefined;
  /** Time the worker gets to finish in-flight batches after SIGTERM (the rest of the deadline is for releasing and closing). */
  drainDeadlineMs: number;
  warnings: string[];
}

const CLOSE_MARGIN_MS = 3_000;

export function resolveSettings(config: ClaimWorkerConfig, cli: CliOptions): ServiceSettings {
  const redisConfigured = config.REDIS_URL.trim() !== "";
  const wantsStream = cli.useStream ?? config.M10_USE_STREAM;
  if (cli.useStream === true && !redisConfigured) throw new WorkerSettingsError("--use-stream needs REDIS_URL");
  const useStream = wantsStream && redisConfigured;
  const warnings: string[] = [];
  if (useStream && config.M10_EVALUATION_LEASE_MS >= config.M10_CLAIM_IDLE_MS) {
    warnings.push(
      `M10_EVALUATION_LEASE_MS (${config.M10_EVALUATION_LEASE_MS}) is not below M10_CLAIM_IDLE_MS (${config.M10_CLAIM_IDLE_MS}): ` +
        "a message reclaimed from a crashed worker will find the lease still held and need another delivery",
    );
  }
  return {
    worker: {
      batchSize: cli.batchSize ?? config.RECOVERY_WORKER_BATCH_SIZE,
      pollIntervalMs: Math.round((cli.pollInterval ?? config.RECOVERY_WORKER_POLL_INTERVAL) * 1000),
      concurrency: cli.concurrency ?? config.RECOVERY_WORKER_CONCURRENCY,
      useStream,
      blockMs: config.M10_BLOCK_MS,
      claimIdleMs: config.M10_CLAIM_IDLE_MS,
      maxReclaimAttempts: config.M10_MAX_RECLAIM_ATTEMPTS,
      reclaimIntervalMs: config.M10_RECLAIM_INTERVAL_MS,
      maxReclaimPerLoop: config.M10_MAX_RECLAIM_PER_LOOP,
      reclaimMaxBackoffMs: config.M10_RECLAIM_MAX_BACKOFF_MS,
      leaseMs: config.M10_EVALUATION_LEASE_MS,
      workStalledSeconds: config.M10_WORK_STALLED_SECONDS,
      releaseStalledIntervalMs: config.M10_RELEASE_STALLED_INTERVAL_MS,
      historyLimit: config.M10_HISTORY_LIMIT,
      autoExecuteMinConfidence: config.RECOVERY_AUTO_EXECUTE_MIN_CONFIDENCE,
    },
    once: cli.once,
    logLevel: cli.debug ? "debug" : config.LOG_LEVEL,
    redisUrl: useStream ? config.REDIS_URL : undefined,
    drainDeadlineMs: Math.max(1_000, config.M10_SHUTDOWN_TIMEOUT_MS - CLOSE_MARGIN_MS),
    warnings,
  };
}
