// m10_recovery.suggestion_action as GET /actions lists it: priority desc, then name.
import { ACTION_COLUMNS, type ActionRow, type Queryable } from "@m10/shared";

export interface ActionFilter {
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
      `SELECT ${ACTION_COLUMNS} FROM m10_recovery.suggestion_action sa ${where}
        ORDER BY sa.priority DESC NULLS LAST, sa.name ASC, sa.id ASC LIMIT $${params.length + 1}`,
      [...params, filter.limit],
    ),
    db.query<{ total: number }>(`SELECT count(*) AS total FROM m10_recovery.suggestion_action sa ${where}`, params),
  ]);
  return { actions: page.rows, total: count.rows[0]?.total ?? 0 };
}
