// What the historical rule learns from: M10's own past candidates of the same tenant with the same
// error code whose recovery outcome was reported (execution_status succeeded / failed), with the
// action they applied (schema decision 8, docs/architecture.md §4.1). Per tenant (issue 11): one
// tenant's outcomes never steer which actions are suggested or auto-executed for another.
// Bounded: the newest `limit` outcomes per (tenant, code), one statement for a whole batch. The
// same error signature implies the same code (the signature hashes the error type), so per-code
// history covers both.
import type { Queryable } from "@m10/shared";
import type { HistoricalMatch } from "@m10/rules";

/** Whose history: a tenant and an error code. */
export interface HistoryKey {
  tenantId: string;
  errorCode: string;
}

/** The map key of a (tenant, code) pair in loadHistory's answer. */
export const historyKey = (key: HistoryKey) => `${key.tenantId}\u0000${key.errorCode}`;

export async function loadHistory(db: Queryable, keys: readonly HistoryKey[], limit: number): Promise<Map<string, HistoricalMatch[]>> {
  const history = new Map<string, HistoricalMatch[]>();
  if (keys.length === 0) return history;
  const result = await db.query<{ tenant_id: string; error_code: string; candidate_id: number; action_code: string; succeeded: boolean }>(
    `SELECT c.tenant_id, c.code AS error_code, h.id AS candidate_id, h.action_code, h.succeeded
       FROM unnest($1::text[], $2::text[]) AS c(tenant_id, code)
      CROSS JOIN LATERAL (
        SELECT rc.id, sa.action_code, rc.execution_status = 'succeeded' AS succeeded
          FROM public.recovery_candidates rc
          JOIN m10_recovery.suggestion_action sa ON sa.id = rc.selected_action_id
         WHERE rc.tenant_id = c.tenant_id
           AND rc.error_code = c.code
           AND rc.execution_status IN ('succeeded', 'failed')
         ORDER BY COALESCE(rc.executed_at, rc.updated_at) DESC, rc.id DESC
         LIMIT $3
      ) h`,
    [keys.map((key) => key.tenantId), keys.map((key) => key.errorCode), limit],
  );
  for (const row of result.rows) {
    const key = historyKey({ tenantId: row.tenant_id, errorCode: row.error_code });
    const matches = history.get(key) ?? [];
    matches.push({ actionCode: row.action_code, succeeded: row.succeeded, candidateId: row.candidate_id });
    history.set(key, matches);
  }
  return history;
}
