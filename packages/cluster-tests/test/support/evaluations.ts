// How often each candidate was evaluated, counted in the rows the evaluation writes.
import type pg from "pg";

export interface EvaluationCounts {
  candidates: number;
  evaluated: number;
  /** suggestion_provenance 'created' rows (one per evaluation). */
  created: number;
  /** Candidates with more than one 'created' provenance row: evaluated twice. */
  doubleCreated: number;
  /** recovery.suggested outbox events. */
  suggested: number;
  doubleSuggested: number;
}

export async function evaluationCounts(db: pg.Pool, ids: readonly number[]): Promise<EvaluationCounts> {
  const result = await db.query<EvaluationCounts>(
    `SELECT
       (SELECT count(*)::int FROM recovery_candidates WHERE id = ANY($1)) AS candidates,
       (SELECT count(*)::int FROM recovery_candidates WHERE id = ANY($1) AND evaluated_at IS NOT NULL) AS evaluated,
       (SELECT count(*)::int FROM m10_recovery.suggestion_provenance WHERE suggestion_id = ANY($1) AND event_type = 'created') AS created,
       (SELECT count(*)::int FROM (SELECT suggestion_id FROM m10_recovery.suggestion_provenance
                                    WHERE suggestion_id = ANY($1) AND event_type = 'created'
                                    GROUP BY suggestion_id HAVING count(*) > 1) d) AS "doubleCreated",
       (SELECT count(*)::int FROM m10_recovery.outbox WHERE aggregate_type = 'recovery_candidate'
           AND aggregate_id = ANY($1::int[]::text[]) AND event_type = 'recovery.suggested') AS suggested,
       (SELECT count(*)::int FROM (SELECT aggregate_id FROM m10_recovery.outbox WHERE aggregate_type = 'recovery_candidate'
           AND aggregate_id = ANY($1::int[]::text[]) AND event_type = 'recovery.suggested' GROUP BY aggregate_id HAVING count(*) > 1) d) AS "doubleSuggested"`,
    [ids],
  );
  return result.rows[0] as EvaluationCounts;
}
