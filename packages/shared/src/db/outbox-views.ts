// The outbox as the operator console lists it: events by state (pending, retrying, claimed,
// dead-lettered) and a summary per event type (delivered, dead-lettered, success rate, last error).
// Both are bounded: a LIMIT on the list, and the summary reads the last `hours` of events only.
import { DEAD_LETTER_PROCESSOR } from "./outbox.js";
import type { Queryable } from "./pool.js";

export const OUTBOX_STATES = ["pending", "retrying", "claimed", "dead"] as const;
export type OutboxState = (typeof OUTBOX_STATES)[number];

export interface OutboxListRow {
  id: number;
  event_type: string;
  aggregate_id: string;
  retry_count: number;
  created_at: Date;
  next_retry_at: Date | null;
  claimed_by: string | null;
  lease_age_seconds: number | null;
  last_error: string | null;
  processed_at: Date | null;
}

// pending: due, unclaimed; retrying: waiting for next_retry_at; claimed: a processor holds the lease;
// dead: processed by the dead-letter path.
const STATE_CONDITION: Readonly<Record<OutboxState, string>> = {
  pending: "processed_at IS NULL AND claimed_at IS NULL AND (next_retry_at IS NULL OR next_retry_at <= now())",
  retrying: "processed_at IS NULL AND claimed_at IS NULL AND next_retry_at > now()",
  claimed: "processed_at IS NULL AND claimed_at IS NOT NULL",
  dead: "processed_by = $2",
};

/** The oldest `limit` events in `state` (the dead-lettered: newest first). */
export async function listOutboxEvents(db: Queryable, state: OutboxState, limit: number): Promise<OutboxListRow[]> {
  const order = state === "dead" ? "processed_at DESC, id DESC" : "created_at, id";
  const { rows } = await db.query<OutboxListRow>(
    `SELECT id, event_type, aggregate_id, retry_count, created_at, next_retry_at, claimed_by,
            CASE WHEN claimed_at IS NULL THEN NULL ELSE EXTRACT(EPOCH FROM now() - claimed_at)::float8 END AS lease_age_seconds,
            last_error, processed_at
       FROM m10_recovery.outbox
      WHERE ${STATE_CONDITION[state]}
      ORDER BY ${order}
      LIMIT $1`,
    state === "dead" ? [limit, DEAD_LETTER_PROCESSOR] : [limit],
  );
  return rows;
}

export interface OutboxTypeSummary {
  event_type: string;
  total: number;
  delivered: number;
  dead_lettered: number;
  waiting: number;
  /** delivered / (delivered + dead_lettered); null before anything finished. */
  success_rate: number | null;
  last_error: string | null;
  last_error_at: Date | null;
}

/** Per event type over the events created in the last `hours`. */
export async function outboxTypeSummary(db: Queryable, hours: number): Promise<OutboxTypeSummary[]> {
  const { rows } = await db.query<OutboxTypeSummary>(
    `SELECT event_type,
            count(*)::int AS total,
            count(*) FILTER (WHERE processed_at IS NOT NULL AND processed_by IS DISTINCT FROM $2)::int AS delivered,
            count(*) FILTER (WHERE processed_by = $2)::int AS dead_lettered,
            count(*) FILTER (WHERE processed_at IS NULL)::int AS waiting,
            (count(*) FILTER (WHERE processed_at IS NOT NULL AND processed_by IS DISTINCT FROM $2))::float8
              / NULLIF(count(*) FILTER (WHERE processed_at IS NOT NULL), 0) AS success_rate,
            (array_agg(last_error ORDER BY updated_at DESC) FILTER (WHERE last_error IS NOT NULL))[1] AS last_error,
            max(updated_at) FILTER (WHERE last_error IS NOT NULL) AS last_error_at
       FROM m10_recovery.outbox
      WHERE created_at > now() - make_interval(hours => $1)
      GROUP BY event_type
      ORDER BY event_type`,
    [hours, DEAD_LETTER_PROCESSOR],
  );
  return rows;
}
