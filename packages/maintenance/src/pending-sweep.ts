// pending_sweep (docs/architecture.md §2 promise 1): a candidate committed but never evaluated after
// M10_SWEEP_AFTER_SECONDS, with no live lease and no pending work_queue row, is re-enqueued
// (stream, or the DB queue when Redis is down). A candidate may also be waiting far back in a
// long stream backlog; so that repeated sweeps do not pile duplicates onto that backlog, each
// re-enqueue is remembered in a Redis sorted set for M10_SWEEP_RESWEEP_SECONDS (a duplicate is
// harmless, evaluation takes effect once, but it costs a worker a lookup).
import type { Logger } from "pino";
import {
  enqueueEvaluations,
  findUnqueuedCandidates,
  type MaintenanceSettings,
  type Queryable,
  type RedisClient,
  type StreamKeys,
  sweepMemoKey,
} from "@m10/shared";

/** Candidate ids listed in the details at most (the counts are always complete). */
const LISTED_IDS = 100;

export type PendingSweepDetails = {
  dry_run: boolean;
  after_seconds: number;
  /** Candidates that need a re-enqueue (found this run). */
  found: number;
  requeued: number;
  via_stream: number;
  via_db_queue: number;
  /** Left alone because the sweep re-enqueued them less than M10_SWEEP_RESWEEP_SECONDS ago. */
  recently_requeued: number;
  candidate_ids: number[];
};

export interface PendingSweepDeps {
  db: Queryable;
  redis: RedisClient | undefined;
  keys: StreamKeys;
  logger: Logger;
  settings: MaintenanceSettings;
}

async function recentlyRequeued(deps: PendingSweepDeps, now: number): Promise<number[]> {
  const window = deps.settings.M10_SWEEP_RESWEEP_SECONDS;
  if (!deps.redis || window === 0) return [];
  try {
    const ids = await deps.redis.zrangebyscore(sweepMemoKey(deps.keys), now - window * 1000, "+inf");
    return ids.map(Number).filter(Number.isInteger);
  } catch (error) {
    deps.logger.warn({ err: error }, "pending_sweep.memo_read_failed");
    return [];
  }
}

async function remember(deps: PendingSweepDeps, ids: number[], now: number): Promise<void> {
  const window = deps.settings.M10_SWEEP_RESWEEP_SECONDS;
  if (!deps.redis || window === 0 || ids.length === 0) return;
  try {
    await deps.redis
      .multi()
      .zadd(sweepMemoKey(deps.keys), ...ids.flatMap((id) => [now, String(id)]))
      .zremrangebyscore(sweepMemoKey(deps.keys), "-inf", now - window * 1000)
      .exec();
  } catch (error) {
    deps.logger.warn({ err: error }, "pending_sweep.memo_write_failed");
  }
}

export async function sweepPendingCandidates(deps: PendingSweepDeps, options: { dryRun: boolean; signal: AbortSignal }): Promise<PendingSweepDetails> {
  const now = Date.now();
  const skip = await recentlyRequeued(deps, now);
  const olderThanSeconds = deps.settings.M10_SWEEP_AFTER_SECONDS;
  const all = await findUnqueuedCandidates(deps.db, {
    olderThanSeconds,
    leaseMs: deps.settings.M10_EVALUATION_LEASE_MS,
    limit: deps.settings.M10_SWEEP_BATCH_SIZE + skip.length,
  });
  const skipped = new Set(skip);
  const due = all.filter((candidate) => !skipped.has(candidate.id)).slice(0, deps.settings.M10_SWEEP_BATCH_SIZE);
  const details: PendingSweepDetails = {
    dry_run: options.dryRun,
    after_seconds: olderThanSeconds,
    found: due.length,
    requeued: 0,
    via_stream: 0,
    via_db_queue: 0,
    recently_requeued: all.filter((candidate) => skipped.has(candidate.id)).length,
    candidate_ids: due.slice(0, LISTED_IDS).map((candidate) => candidate.id),
  };
  if (options.dryRun || due.length === 0 || options.signal.aborted) return details;

  const results = await enqueueEvaluations(
    { redis: deps.redis, db: deps.db, keys: deps.keys, logger: deps.logger },
    due.map((candidate) => ({
      candidateId: candidate.id,
      idempotencyKey: candidate.idempotency_key,
      metadata: { failure_match_id: candidate.failure_match_id, requeued_by: "pending_sweep" },
    })),
  );
  details.requeued = results.length;
  details.via_stream = results.filter((result) => result.method === "redis_stream").length;
  details.via_db_queue = results.length - details.via_stream;
  await remember(
    deps,
    due.map((candidate) => candidate.id),
    now,
  );
  deps.logger.info({ requeued: details.requeued, viaStream: details.via_stream, viaDbQueue: details.via_db_queue }, "pending_sweep.requeued");
  return details;
}
