// The DB fallback queue m10_recovery.work_queue (migrations 021, 027): claim_work / complete_work /
// release_stalled_work, plus what a worker needs around them. Pending = claimed_at and
// processed_at NULL; claimed = claimed_at set; done = processed_at set.
import type { Queryable } from "./pool.js";

export interface WorkItem {
  workId: number;
  candidateId: number;
  idempotencyKey: string | null;
  priority: number;
  retryCount: number;
}

/** claim_work: up to `batchSize` pending items, highest priority then oldest, FOR UPDATE SKIP LOCKED. */
export async function claimWork(db: Queryable, workerId: string, batchSize: number): Promise<WorkItem[]> {
  const result = await db.query<{ work_id: number; candidate_id: number; idempotency_key: string | null; priority: number | null; retry_count: number | null }>(
    "SELECT work_id, candidate_id, idempotency_key, priority, retry_count FROM m10_recovery.claim_work($1, $2)",
    [workerId, batchSize],
  );
  return result.rows.map((row) => ({
    workId: row.work_id,
    candidateId: row.candidate_id,
    idempotencyKey: row.idempotency_key,
    priority: row.priority ?? 0,
    retryCount: row.retry_count ?? 0,
  }));
}

/**
 * complete_work for one item held by `workerId`: success marks it processed; failure unclaims it
 * with retry_count + 1. False when the worker no longer holds the claim (released and re-claimed).
 */
export async function completeWork(db: Queryable, workerId: string, workId: number, success: boolean, error: string | null = null): Promise<boolean> {
  const result = await db.query<{ ok: boolean }>("SELECT m10_recovery.complete_work($1, $2, $3, $4) AS ok", [workId, success, error, workerId]);
  return result.rows[0]?.ok === true;
}

/**
 * complete_work(id, TRUE, NULL, workerId) for many items in one UPDATE (the function's success
 * branch, 027, as a set: no function call per item); returns the ids completed (the ones still held).
 */
export async function completeWorkMany(db: Queryable, workerId: string, workIds: readonly number[]): Promise<number[]> {
  if (workIds.length === 0) return [];
  const result = await db.query<{ id: number }>(
    `UPDATE m10_recovery.work_queue wq
        SET processed_at = now()
      WHERE wq.id = ANY($1::int[])
        AND wq.processed_at IS NULL
        AND wq.claimed_by = $2
     RETURNING wq.id`,
    [workIds, workerId],
  );
  return result.rows.map((row) => row.id);
}

/**
 * Gives claims back without counting a retry (graceful shutdown, or a candidate leased by another
 * worker). Only the claim's holder's rows change. `workIds` omitted = every claim of the holder.
 */
export async function releaseWorkClaims(db: Queryable, workerId: string, workIds?: readonly number[]): Promise<number> {
  const result = await db.query(
    `UPDATE m10_recovery.work_queue
        SET claimed_at = NULL, claimed_by = NULL
      WHERE claimed_by = $1 AND processed_at IS NULL AND claimed_at IS NOT NULL
        AND ($2::int[] IS NULL OR id = ANY($2::int[]))`,
    [workerId, workIds ? [...workIds] : null],
  );
  return result.rowCount ?? 0;
}

/**
 * Ends an item that keeps failing, held by `workerId`: processed, with the reason in error_message,
 * so it leaves the queue (the caller archives it in dead_letter_archive in the same transaction).
 * False when the worker no longer holds the claim.
 */
export async function markWorkDeadLettered(db: Queryable, workerId: string, workId: number, reason: string): Promise<boolean> {
  const result = await db.query(
    "UPDATE m10_recovery.work_queue SET processed_at = now(), error_message = $3 WHERE id = $2 AND processed_at IS NULL AND claimed_by = $1",
    [workerId, workId, reason],
  );
  return (result.rowCount ?? 0) > 0;
}

/**
 * release_stalled_work: ends claims taken more than `stalledSeconds` ago (each counts one lease
 * expiry); an item whose claim expired `maxAttempts` times is archived as a dead letter
 * (reason work_lease_expired) instead of released. Returns how many claims it ended.
 */
export async function releaseStalledWork(db: Queryable, stalledSeconds: number, maxAttempts: number): Promise<number> {
  const result = await db.query<{ n: number }>("SELECT m10_recovery.release_stalled_work($1, $2) AS n", [stalledSeconds, maxAttempts]);
  return result.rows[0]?.n ?? 0;
}

export interface WorkQueueDepth {
  /** processed_at IS NULL (the runbook's "Queue depth"). */
  depth: number;
  claimed: number;
  /** Claimed longer than `stalledSeconds` ago (the runbook's "Stalled items"). */
  stalled: number;
}

export async function workQueueDepth(db: Queryable, stalledSeconds = 300): Promise<WorkQueueDepth> {
  const result = await db.query<WorkQueueDepth>(
    `SELECT count(*)::int AS depth,
            count(*) FILTER (WHERE claimed_at IS NOT NULL)::int AS claimed,
            count(*) FILTER (WHERE claimed_at IS NOT NULL AND claimed_at < now() - make_interval(secs => $1))::int AS stalled
       FROM m10_recovery.work_queue
      WHERE processed_at IS NULL`,
    [stalledSeconds],
  );
  return result.rows[0] ?? { depth: 0, claimed: 0, stalled: 0 };
}
