// /ready and /health/detailed of the worker's health server.
import {
  databaseAnswers,
  errorMessage,
  type Pool,
  type ReadyReport,
  redisAnswers,
  type RedisClient,
  type StreamKeys,
  streamStatus,
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

/** Stream length, pending, consumers, dead letters, DB queue depth and the worker's own state. */
export function detailedHealth(deps: HealthDeps): () => Promise<Record<string, unknown>> {
  return async () => {
    const [stream, dbQueue] = await Promise.all([
      deps.redis
        ? streamStatus(deps.redis, deps.keys).then(
            (status) => ({ key: deps.keys.stream, group: deps.keys.group, dead_letter_key: deps.keys.deadLetter, ...status }),
            (error: unknown) => ({ key: deps.keys.stream, error: errorMessage(error) }),
          )
        : Promise.resolve({ enabled: false }),
      workQueueDepth(deps.pool, deps.workStalledSeconds).catch((error: unknown) => ({ error: errorMessage(error) })),
    ]);
    return { stream, db_queue: dbQueue, worker: deps.worker.status() };
  };
}
