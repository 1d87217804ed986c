// The action catalogue m10_recovery.suggestion_action, looked up by action_code.
import type { Queryable } from "@m10/shared";

export interface CatalogueAction {
  id: number;
  action_code: string;
  action_type: string;
  template: Record<string, unknown>;
  is_automated: boolean;
  requires_approval: boolean;
}

/** Active actions with the given codes (an inactive or unknown code is absent from the map). */
export async function loadActions(db: Queryable, codes: readonly string[]): Promise<Map<string, CatalogueAction>> {
  if (codes.length === 0) return new Map();
  const result = await db.query<CatalogueAction>(
    `SELECT id, action_code, action_type, template, COALESCE(is_automated, false) AS is_automated,
            COALESCE(requires_approval, true) AS requires_approval
       FROM m10_recovery.suggestion_action
      WHERE action_code = ANY($1::text[]) AND COALESCE(is_active, true)`,
    [codes],
  );
  return new Map(result.rows.map((row) => [row.action_code, row]));
}
