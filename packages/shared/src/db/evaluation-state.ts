import type { Queryable } from "./pool.js";

// Maintenance of recovery_candidates' evaluation state (schema decision 6, docs/architecture.md
// §4.1): expired evaluation leases (reclaim_gc) and candidates that were committed but never
// reached a queue (pending_sweep, promise 1 in docs/architecture.md §2).

const EXPIRED_LEASE = `evaluated_at IS NULL
   AND evaluation_claimed_at IS NOT NULL
   AND evaluation_claimed_at < now() - make_interval(secs => $1::float8 / 1000)`;

/** Unevaluated candidates whose evaluation lease is older than `leaseMs`. */
export async function countExpiredEvaluationLeases(db: Queryable, leaseMs: number): Promise<number> {
  const result = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM public.recovery_candidates WHERE ${EXPIRED_LEASE}`, [leaseMs]);
  return result.rows[0]?.n ?? 0;
}

/** Clears expired evaluation leases so any worker (or the sweep) can pick the candidates up; returns how many. */
export async function clearExpiredEvaluationLeases(db: Queryable, leaseMs: number): Promise<number> {
  const result = await db.query(
    `UPDATE public.recovery_candidates
        SET evaluation_claimed_at = NULL, evaluation_claimed_by = NULL
      WHERE ${EXPIRED_LEASE}`,
    [leaseMs],
  );
  return result.rowCount ?? 0;
}

export interface UnqueuedCandidate {
  id: number;
  idempotency_key: string | null;
  failure_match_id: string;
  created_at: Date;
}

/**
 * Candidates that need evaluation and that nothing is about to evaluate: evaluated_at IS NULL,
 * created more than `olderThanSeconds` ago, no live evaluation lease, no pending work_queue row,
 * and not parked in the dead-letter archive (dead-lettered and not replayed since: replaying is
 * the operator's call, re-enqueueing a poison message would only dead-letter it again).
 * Oldest first, at most `limit`.
 */
export async function findUnqueuedCandidates(
  db: Queryable,
  options: { olderThanSeconds: number; leaseMs: number; limit: number },
): Promise<UnqueuedCandidate[]> {
  const result = await db.query<UnqueuedCandidate>(
    `SELECT rc.id, rc.idempotency_key::text AS idempotency_key, rc.failure_match_id::text AS failure_match_id, rc.created_at
       FROM public.recovery_candidates rc
      WHERE rc.evaluated_at IS NULL
        AND rc.created_at < now() - make_interval(secs => $1::float8)
        AND (rc.evaluation_claimed_at IS NULL
             OR rc.evaluation_claimed_at < now() - make_interval(secs => $2::float8 / 1000))
        AND NOT EXISTS (SELECT 1 FROM m10_recovery.work_queue wq
                         WHERE wq.candidate_id = rc.id AND wq.processed_at IS NULL)
        AND NOT EXISTS (SELECT 1 FROM m10_recovery.dead_letter_archive dla
                         WHERE dla.candidate_id = rc.id
                           AND NOT EXISTS (SELECT 1 FROM m10_recovery.replay_log rl
                                            WHERE rl.candidate_id = rc.id
                                              AND rl.replayed_at >= COALESCE(dla.dead_lettered_at, dla.archived_at)))
      ORDER BY rc.created_at, rc.id
      LIMIT $3`,
    [options.olderThanSeconds, options.leaseMs, options.limit],
  );
  return result.rows;
}

/** Candidates not evaluated yet (whatever queue they are in). */
export async function countUnevaluatedCandidates(db: Queryable): Promise<number> {
  const result = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM public.recovery_candidates WHERE evaluated_at IS NULL");
  return result.rows[0]?.n ?? 0;
}

export type CandidateEvaluationState = "missing" | "evaluated" | "pending";

/** Whether a candidate still waits for evaluation: replaying a dead letter only helps one that does. */
export async function candidateEvaluationState(db: Queryable, id: number): Promise<CandidateEvaluationState> {
  const result = await db.query<{ evaluated: boolean }>("SELECT evaluated_at IS NOT NULL AS evaluated FROM public.recovery_candidates WHERE id = $1", [id]);
  const row = result.rows[0];
  return !row ? "missing" : row.evaluated ? "evaluated" : "pending";
}

export interface CandidateEvaluationSummary {
  id: number;
  decision: string | null;
  evaluated_at: Date | null;
  evaluation_claimed_by: string | null;
  error_code: string | null;
  suggestion: string;
  confidence: number;
}

/** The columns that tell why a dead-lettered candidate's evaluation failed (who holds it, what it got). */
export async function candidateEvaluationSummary(db: Queryable, id: number): Promise<CandidateEvaluationSummary | undefined> {
  const result = await db.query<CandidateEvaluationSummary>(
    "SELECT id, decision, evaluated_at, evaluation_claimed_by, error_code, suggestion, confidence FROM public.recovery_candidates WHERE id = $1",
    [id],
  );
  return result.rows[0];
}
