// What the historical rule learns from: M10's own past candidates with the same error code whose
// recovery outcome was reported (execution_status succeeded / failed), with the action they
// applied (schema decision 8, docs/architecture.md §4.1). Bounded: the newest `limit` outcomes per code, one statement
// for all codes of a batch. The same error signature implies the same code (the signature hashes
// the error type), so per-code history covers both.
import type { Queryable } from "@m10/shared";
import type { HistoricalMatch } from "@m10/rules";

export async function loadHistory(db: Queryable, errorCodes: readonly string[], limit: number): Promise<Map<string, HistoricalMatch[]>> {
  const history = new Map<string, HistoricalMatch[]>();
  if (errorCodes.length === 0) return history;
  const result = await db.query<{ error_code: string; candidate_id: number; action_code: string; succeeded: boolean }>(
    `SELECT c.code AS error_code, h.id AS candidate_id, h.action_code, h.succeeded
       FROM unnest($1::text[]) AS c(code)
      CROSS JOIN LATERAL (
        SELECT rc.id, sa.action_code, rc.execution_status = 'succeeded' AS succeeded
          FROM public.recovery_candidates rc
          JOIN m10_recovery.suggestion_action sa ON sa.id = rc.selected_action_id
         WHERE rc.error_code = c.code
           AND rc.execution_status IN ('succeeded', 'failed')
         ORDER BY COALESCE(rc.executed_at, rc.updated_at) DESC, rc.id DESC
         LIMIT $2
      ) h`,
    [errorCodes, limit],
  );
  for (const row of result.rows) {
    const matches = history.get(row.error_code) ?? [];
    matches.push({ actionCode: row.action_code, succeeded: row.succeeded, candidateId: row.candidate_id });
    history.set(row.error_code, matches);
  }
  return history;
}
