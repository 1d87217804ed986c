import type { Queryable } from "../db/pool.js";

export interface OutboxEventInput {
  aggregateType: string;
  aggregateId: string;
  eventType: string;
  payload: unknown;
}

/**
 * Writes an event with m10_recovery.publish_outbox. Call it with the transaction's client, so the
 * event commits or rolls back with the state change that caused it.
 */
export async function publishOutbox(db: Queryable, event: OutboxEventInput): Promise<number> {
  const result = await db.query<{ id: number }>("SELECT m10_recovery.publish_outbox($1, $2, $3, $4::jsonb) AS id", [
    event.aggregateType,
    event.aggregateId,
    event.eventType,
    JSON.stringify(event.payload),
  ]);
  const id = result.rows[0]?.id;
  if (id === undefined) throw new Error("publish_outbox returned no id");
  return id;
}

/** Many events in one statement (same semantics as publish_outbox per row). */
export async function publishOutboxMany(db: Queryable, events: OutboxEventInput[]): Promise<number[]> {
  if (events.length === 0) return [];
  const result = await db.query<{ id: number }>(
    `SELECT m10_recovery.publish_outbox(e.aggregate_type, e.aggregate_id, e.event_type, e.payload) AS id
       FROM ROWS FROM (jsonb_to_recordset($1::jsonb) AS (aggregate_type text, aggregate_id text, event_type text, payload jsonb))
            WITH ORDINALITY AS e(aggregate_type, aggregate_id, event_type, payload, ord)
      ORDER BY e.ord`,
    [JSON.stringify(events.map((e) => ({ aggregate_type: e.aggregateType, aggregate_id: e.aggregateId, event_type: e.eventType, payload: e.payload })))],
  );
  return result.rows.map((row) => row.id);
}
