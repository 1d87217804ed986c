import type pg from "pg";

export interface OutboxState {
  published: number;
  pending: number;
  deadLettered: number;
}

/** Outbox events published since `since` (optionally of one event type): how many, still pending, dead-lettered. */
export async function outboxSince(db: pg.Pool, since: Date, eventType?: string): Promise<OutboxState> {
  const result = await db.query<{ published: string; pending: string; dead: string }>(
    `SELECT count(*) AS published,
            count(*) FILTER (WHERE o.processed_at IS NULL) AS pending,
            (SELECT count(*) FROM m10_recovery.dead_letter_archive d
              WHERE d.original_msg_id IN (SELECT 'outbox:' || o2.id FROM m10_recovery.outbox o2
                                           WHERE o2.created_at >= $1 AND ($2::text IS NULL OR o2.event_type = $2))) AS dead
       FROM m10_recovery.outbox o
      WHERE o.created_at >= $1 AND ($2::text IS NULL OR o.event_type = $2)`,
    [since, eventType ?? null],
  );
  const row = result.rows[0];
  return { published: Number(row?.published ?? 0), pending: Number(row?.pending ?? 0), deadLettered: Number(row?.dead ?? 0) };
}
