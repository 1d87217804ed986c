// Outbox statements only m10ctl needs (the runbook queries live in @m10/shared/db/outbox.js).
import { type Queryable, DEAD_LETTER_PROCESSOR } from "@m10/shared";

export interface OutboxEventState {
  id: number;
  event_type: string;
  processed_at: Date | null;
  processed_by: string | null;
  retry_count: number | null;
  claimed_by: string | null;
}

/**
 * The runbook's reset for one event: retry_count 0, last_error NULL, due now (the retry-time
 * trigger copies next_retry_at into process_after). Only an unprocessed event changes; a lease
 * a processor holds right now is left alone (it completes or expires as usual).
 */
export async function retryOutboxEvent(db: Queryable, id: number): Promise<OutboxEventState | undefined> {
  const result = await db.query<OutboxEventState>(
    `UPDATE m10_recovery.outbox
        SET retry_count = 0, next_retry_at = NOW(), last_error = NULL
      WHERE id = $1 AND processed_at IS NULL
      RETURNING id, event_type, processed_at, processed_by, retry_count, claimed_by`,
    [id],
  );
  return result.rows[0];
}

export async function outboxEventState(db: Queryable, id: number): Promise<OutboxEventState | undefined> {
  const result = await db.query<OutboxEventState>(
    "SELECT id, event_type, processed_at, processed_by, retry_count, claimed_by FROM m10_recovery.outbox WHERE id = $1",
    [id],
  );
  return result.rows[0];
}

export interface OutboxHealthCounts {
  /** Unprocessed with at least `minRetries` failures ("Events stuck in retry"). */
  stuck: number;
  /** Processed by the dead-letter path (archived in dead_letter_archive). */
  dead_lettered: number;
  /** Leases held right now. */
  leased: number;
}

export async function outboxHealthCounts(db: Queryable, minRetries: number): Promise<OutboxHealthCounts> {
  const result = await db.query<OutboxHealthCounts>(
    `SELECT count(*) FILTER (WHERE processed_at IS NULL AND retry_count >= $1)::int AS stuck,
            count(*) FILTER (WHERE processed_by = $2)::int AS dead_lettered,
            count(*) FILTER (WHERE processed_at IS NULL AND claimed_at IS NOT NULL)::int AS leased
       FROM m10_recovery.outbox`,
    [minRetries, DEAD_LETTER_PROCESSOR],
  );
  return result.rows[0] ?? { stuck: 0, dead_lettered: 0, leased: 0 };
}
