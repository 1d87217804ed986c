// m10_recovery.suggestion_action as GET /actions lists it: priority desc, then name, with the
// caller's tenant's own success rates.
import { ACTION_COLUMNS, type ActionRow, actionWithTenantStats, type Queryable } from "@m10/shared";

export interface ActionFilter {
  tenantId: string;
  actionType?: string;
  activeOnly: boolean;
  limit: number;
}

export async function listActions(db: Queryable, filter: ActionFilter): Promise<{ actions: ActionRow[]; total: number }> {
  const conditions: string[] = [];
  const params: unknown[] = [];
  if (filter.actionType !== undefined) {
    params.push(filter.actionType);
    conditions.push(`sa.action_type = $${params.length}`);
  }
  if (filter.activeOnly) conditions.push("sa.is_active IS TRUE");
  const where = conditions.length > 0 ? `WHERE ${conditions.join(" AND ")}` : "";
  const [page, count] = await Promise.all([
    db.query<ActionRow>(
      `SELECT ${ACTION_COLUMNS} FROM ${actionWithTenantStats(params.length + 2)} ${where}
        ORDER BY sa.priority DESC NULLS LAST, sa.name ASC, sa.id ASC LIMIT $${params.length + 1}`,
      [...params, filter.limit, filter.tenantId],
    ),
    // The catalogue is a handful of rows: the count is cheap.
    db.query<{ total: number }>(`SELECT count(*) AS total FROM m10_recovery.suggestion_action sa ${where}`, params),
  ]);
  return { actions: page.rows, total: count.rows[0]?.total ?? 0 };
}
