// The evaluation lease on recovery_candidates (schema decision 6, docs/architecture.md §4.1): evaluated_at NULL means
// "needs evaluation"; evaluation_claimed_at / evaluation_claimed_by say who is evaluating it.
// A lease is taken with FOR UPDATE SKIP LOCKED and committed at once, so the rule engine runs
// outside any transaction; the evaluation write re-checks it under the row lock.
import type { Queryable } from "@m10/shared";

export interface LeasedCandidate {
  id: number;
  failure_match_id: string;
  error_code: string | null;
  error_signature: string | null;
  occurrence_count: number;
  source: string | null;
  explain: Record<string, unknown> | null;
  confidence: number;
  idempotency_key: string | null;
  /** Whose candidate it is: its history (the learning) is this tenant's only. */
  tenant_id: string;
}

/**
 * Leases the candidates among `ids` that still need evaluation and are not leased by another
 * holder (or whose lease is older than `leaseMs`). Rows locked by another transaction are
 * skipped, never waited for. The holder's own lease can be renewed.
 */
export async function claimEvaluationLeases(db: Queryable, ids: readonly number[], holder: string, leaseMs: number): Promise<LeasedCandidate[]> {
  if (ids.length === 0) return [];
  const result = await db.query<LeasedCandidate>(
    `WITH picked AS (
       SELECT rc.id
         FROM public.recovery_candidates rc
        WHERE rc.id = ANY($1::int[])
          AND (rc.evaluated_at IS NULL) IS TRUE -- not the partial index: see evaluation/write.ts
          AND (rc.evaluation_claimed_at IS NULL
               OR rc.evaluation_claimed_by = $2
               OR rc.evaluation_claimed_at < now() - make_interval(secs => $3::double precision / 1000))
        ORDER BY rc.id
          FOR UPDATE SKIP LOCKED
     )
     UPDATE public.recovery_candidates rc
        SET evaluation_claimed_at = now(), evaluation_claimed_by = $2
       FROM picked
      WHERE rc.id = picked.id
     RETURNING rc.id, rc.failure_match_id, rc.error_code, rc.error_signature, rc.occurrence_count, rc.source,
               rc.explain, rc.confidence, rc.idempotency_key, rc.tenant_id`,
    [ids, holder, leaseMs],
  );
  return result.rows;
}

export type UnclaimedState = "gone" | "evaluated" | "busy";

/**
 * Why candidates were not leased: gone (deleted), evaluated (nothing left to do: acknowledge) or
 * busy (leased by another holder or row-locked right now: try again later).
 */
export async function unclaimedStates(db: Queryable, ids: readonly number[]): Promise<Map<number, UnclaimedState>> {
  const states = new Map<number, UnclaimedState>(ids.map((id) => [id, "gone"]));
  if (ids.length === 0) return states;
  const result = await db.query<{ id: number; evaluated: boolean }>(
    "SELECT id, evaluated_at IS NOT NULL AS evaluated FROM public.recovery_candidates WHERE id = ANY($1::int[])",
    [ids],
  );
  for (const row of result.rows) states.set(row.id, row.evaluated ? "evaluated" : "busy");
  return states;
}

/** Gives up the holder's leases on unevaluated candidates (`ids` omitted = all of them). */
export async function releaseEvaluationLeases(db: Queryable, holder: string, ids?: readonly number[]): Promise<number> {
  const result = await db.query(
    `UPDATE public.recovery_candidates
        SET evaluation_claimed_at = NULL, evaluation_claimed_by = NULL
      WHERE evaluation_claimed_by = $1 AND evaluated_at IS NULL
        AND ($2::int[] IS NULL OR id = ANY($2::int[]))`,
    [holder, ids ? [...ids] : null],
  );
  return result.rowCount ?? 0;
}
