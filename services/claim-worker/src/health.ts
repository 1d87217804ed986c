// /ready and /health/detailed of the worker's health server.
import {
  databaseAnswers,
  errorMessage,
  type M10Metrics,
  metricTotal,
  metricTotalsBy,
  type Pool,
  type ReadyReport,
  redisAnswers,
  type RedisClient,
  type StreamKeys,
  type StreamStatus,
  streamStatus,
  successRate,
  workQueueDepth,
} from "@m10/shared";
import type { Worker } from "./worker.js";

export interface HealthDeps {
  pool: Pool;
  redis: RedisClient | undefined;
  keys: StreamKeys;
  worker: Worker;
  workStalledSeconds: number;
}

const CHECK_TIMEOUT_MS = 2_000;

/** PostgreSQL down = not ready (nothing can be evaluated); Redis down = degraded (the DB queue still drains). */
export function readiness(deps: HealthDeps): () => Promise<ReadyReport> {
  return async () => {
    const [postgres, redis] = await Promise.all([
      databaseAnswers(deps.pool, CHECK_TIMEOUT_MS),
      deps.redis ? redisAnswers(deps.redis, CHECK_TIMEOUT_MS) : Promise.resolve(null),
    ]);
    const checks = { postgres: postgres ? "ok" : "down", redis: redis === null ? "disabled" : redis ? "ok" : "down" };
    return { status: !postgres ? "down" : redis === false ? "degraded" : "ok", checks };
  };
}

/** The stream's state, or why it could not be read (undefined without Redis). */
async function readStream(deps: HealthDeps): Promise<StreamStatus | { error: string } | undefined> {
  if (!deps.redis) return undefined;
  return streamStatus(deps.redis, deps.keys).catch((error: unknown) => ({ error: errorMessage(error) }));
}

/** Consumer lag in seconds (the oldest entry not yet acknowledged); null when the stream cannot be read. */
function lagSeconds(stream: StreamStatus | { error: string } | undefined): number | null {
  return stream && "lagSeconds" in stream ? Math.round(stream.lagSeconds * 1000) / 1000 : null;
}

/** Stream length, pending, consumers, consumer lag, dead letters, DB queue depth and the worker's own state. */
export function detailedHealth(deps: HealthDeps): () => Promise<Record<string, unknown>> {
  return async () => {
    const [stream, dbQueue] = await Promise.all([
      readStream(deps),
      workQueueDepth(deps.pool, deps.workStalledSeconds).catch((error: unknown) => ({ error: errorMessage(error) })),
    ]);
    return {
      consumer_group: deps.keys.group,
      consumer_lag_seconds: lagSeconds(stream),
      stream: stream ? { key: deps.keys.stream, group: deps.keys.group, dead_letter_key: deps.keys.deadLetter, ...stream } : { enabled: false },
      db_queue: dbQueue,
      worker: deps.worker.status(),
    };
  };
}

/**
 * The Phase 7 runbook's consumer metrics as JSON (GET /monitoring/metrics): this process's
 * finished entries by queue, successes and failures (skipped entries count as consumed, not as
 * either), the group's consumer lag and the last entry this worker finished.
 */
export function monitoringView(deps: HealthDeps, registry: M10Metrics<"claim-worker">["registry"]): () => Promise<Record<string, unknown>> {
  const processed = "recovery_worker_processed_total";
  return async () => {
    const [consumed, success, failure, stream] = await Promise.all([
      metricTotalsBy(registry, processed, "source"),
      metricTotal(registry, processed, { status: "success" }),
      metricTotal(registry, processed, { status: "failed" }),
      readStream(deps),
    ]);
    const last = deps.worker.status().lastProcessed;
    return {
      consumer_group: deps.keys.group,
      events_consumed_total: consumed,
      consumer_lag_seconds: lagSeconds(stream),
      events_processed_success: success,
      events_processed_failure: failure,
      success_rate: successRate(success, failure),
      last_processed_event_id: last?.eventId ?? null,
      last_processed_candidate_id: last?.candidateId ?? null,
      last_processed_at: last?.at ?? null,
    };
  };
}
