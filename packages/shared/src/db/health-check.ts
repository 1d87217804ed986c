// The Production Handbook's "Quick Health Check" (§9) query, kept verbatim so that its numbers
// are the ones the handbook tells operators to compare against.
import type { Queryable } from "./pool.js";

export interface HealthCheckCounts {
  outbox_pending: number;
  dead_letters: number;
  active_locks: number;
  replay_log_entries: number;
}

export async function healthCheckCounts(db: Queryable): Promise<HealthCheckCounts> {
  const result = await db.query<HealthCheckCounts>(`SELECT
  (SELECT COUNT(*) FROM m10_recovery.outbox WHERE processed_at IS NULL)::int as outbox_pending,
  (SELECT COUNT(*) FROM m10_recovery.dead_letter_archive)::int as dead_letters,
  (SELECT COUNT(*) FROM m10_recovery.distributed_locks WHERE expires_at > NOW())::int as active_locks,
  (SELECT COUNT(*) FROM m10_recovery.replay_log)::int as replay_log_entries`);
  const row = result.rows[0];
  if (!row) throw new Error("healthCheckCounts: the counting query returned no row");
  return row;
}
