import type { Logger } from "pino";
import type { Queryable } from "../db/pool.js";
import type { RedisClient } from "../redis/client.js";
import type { StreamKeys } from "../redis/keys.js";
import { errorMessage } from "../error-message.js";
import { DependencyState } from "../observability/dependency-state.js";
import { defineLuaScript } from "../redis/lua-script.js";
import { STREAM_ADD_MANY_LUA } from "../redis/scripts/stream-add-many.js";

const STREAM_ADD_MANY = defineLuaScript("stream-add-many", STREAM_ADD_MANY_LUA);
/** Entries per script call: a batch limit set far above the default 500 must not make one call's arguments unbounded. */
const STREAM_ADD_CHUNK = 1_000;

export interface EvaluationRequest {
  candidateId: number;
  idempotencyKey?: string | null;
  priority?: number;
  metadata?: Record<string, unknown>;
}

export type EnqueueResult =
  | { method: "redis_stream"; messageId: string }
  | { method: "db_fallback"; workId: number; reason: string };

export interface EnqueueDeps {
  /** Absent when the process runs without Redis: everything goes to the DB queue. */
  redis: RedisClient | undefined;
  db: Queryable;
  keys: StreamKeys;
  logger: Logger;
  /** The process's view of Redis: a fallback marks it down, a stream write up (logged once per outage). */
  redisState?: DependencyState;
}

// Callers without a Redis state of their own (tools, maintenance) share one per logger, so an
// outage is still one warning and one recovery line however many enqueues fall back.
const defaultStates = new WeakMap<Logger, DependencyState>();

function redisStateOf(deps: EnqueueDeps): DependencyState {
  if (deps.redisState) return deps.redisState;
  let state = defaultStates.get(deps.logger);
  if (!state) defaultStates.set(deps.logger, (state = new DependencyState("redis", deps.logger, { component: "enqueue" })));
  return state;
}

/** The stream entry's fields (docs/architecture.md §4.5): candidate_id, priority, enqueued_at, metadata, idempotency_key. */
export function streamFields(request: EvaluationRequest, now = new Date()): string[] {
  return [
    "candidate_id",
    String(request.candidateId),
    "priority",
    String(request.priority ?? 0),
    "enqueued_at",
    now.toISOString(),
    "metadata",
    JSON.stringify(request.metadata ?? {}),
    "idempotency_key",
    request.idempotencyKey ?? "",
  ];
}

/**
 * Queues candidates for evaluation: XADD to the stream (every request by one Lua script, one
 * command however many there are), or, when Redis is absent or fails, the DB
 * fallback queue (enqueue_work, method db_fallback). Never drops a request: if both fail the error
 * propagates and the caller's pending_sweep promise still holds. The XADD has no MAXLEN: a cap
 * would trim entries not evaluated yet under a backlog. The stream holds only the backlog anyway
 * (workers XACK + XDEL each entry after its commit); its length is watched by M10QueueDepthCritical.
 */
export async function enqueueEvaluations(deps: EnqueueDeps, requests: EvaluationRequest[]): Promise<EnqueueResult[]> {
  if (requests.length === 0) return [];
  let reason = "redis_not_configured";
  if (deps.redis) {
    try {
      const now = new Date();
      const ids: unknown[] = [];
      for (let start = 0; start < requests.length; start += STREAM_ADD_CHUNK) {
        const chunk = requests.slice(start, start + STREAM_ADD_CHUNK);
        const fields = chunk.flatMap((request) => streamFields(request, now));
        ids.push(...((await STREAM_ADD_MANY.run(deps.redis, [deps.keys.stream], [fields.length / chunk.length, ...fields])) as unknown[]));
      }
      if (ids.length === requests.length) {
        redisStateOf(deps).markUp();
        return ids.map((id) => ({ method: "redis_stream" as const, messageId: String(id) }));
      }
      reason = "incomplete stream-add-many reply";
    } catch (error) {
      reason = errorMessage(error);
    }
    redisStateOf(deps).markDown(reason);
  }
  const workIds = await enqueueWork(deps.db, requests, "db_fallback");
  return workIds.map((workId) => ({ method: "db_fallback" as const, workId, reason }));
}

/** enqueue_work for many candidates in one statement; returns the work ids in request order. */
export async function enqueueWork(db: Queryable, requests: EvaluationRequest[], method: "db_fallback" | "retry" | "redis_stream"): Promise<number[]> {
  const result = await db.query<{ id: number }>(
    `SELECT m10_recovery.enqueue_work(r.candidate_id, r.idempotency_key, r.priority, $4) AS id
       FROM unnest($1::int[], $2::uuid[], $3::int[]) WITH ORDINALITY AS r(candidate_id, idempotency_key, priority, ord)
      ORDER BY r.ord`,
    [requests.map((r) => r.candidateId), requests.map((r) => r.idempotencyKey ?? null), requests.map((r) => r.priority ?? 0), method],
  );
  return result.rows.map((row) => row.id);
}
