// Every path that writes outbox events counts them in m10_outbox_published_total through
// countPublishedOutboxEvents, and only after its transaction committed: an event rolled back
// with the state change that caused it was never published.
import type { Pool, PoolClient, Queryable } from "../db/pool.js";
import { withTransaction } from "../db/transaction.js";
import type { MetricFor } from "../observability/metrics.js";

export interface OutboxEventInput {
  aggregateType: string;
  aggregateId: string;
  eventType: string;
  payload: unknown;
  /** Only a replayed dead letter has one: the version it had, so it keeps its key and its place. */
  version?: number;
}

/**
 * Writes an event with m10_recovery.publish_outbox (a new version of its aggregate), or, for a
 * replay, a new row carrying the replayed version. Call it with the transaction's client, so the
 * event commits or rolls back with the state change that caused it.
 */
export async function publishOutbox(db: Queryable, event: OutboxEventInput): Promise<number> {
  const params = [event.aggregateType, event.aggregateId, event.eventType, JSON.stringify(event.payload)];
  const result =
    event.version === undefined
      ? await db.query<{ id: number }>("SELECT m10_recovery.publish_outbox($1, $2, $3, $4::jsonb) AS id", params)
      : await db.query<{ id: number }>(
          `INSERT INTO m10_recovery.outbox (aggregate_type, aggregate_id, event_type, payload, version)
           VALUES ($1, $2, $3, $4::jsonb, $5) RETURNING id`,
          [...params, event.version],
        );
  const id = result.rows[0]?.id;
  if (id === undefined) throw new Error("publish_outbox returned no id");
  return id;
}

/**
 * Many events in one statement, with publish_outbox's semantics for each (026, schema decision 10):
 * every event a new row (a new version), the aggregate's advisory lock held until commit. The
 * locks are taken first, once per aggregate and in a fixed order (so two batches sharing aggregates
 * cannot deadlock), then one INSERT writes every row: no function call and no INSERT statement per
 * event, and the statement-level NOTIFY trigger (032) fires once. Returns the ids in `events` order.
 */
export async function publishOutboxMany(db: Queryable, events: OutboxEventInput[]): Promise<number[]> {
  if (events.length === 0) return [];
  const result = await db.query<{ id: number }>(
    `WITH e AS (
       SELECT * FROM ROWS FROM (unnest($1::text[], $2::text[], $3::text[], $4::jsonb[])) WITH ORDINALITY
                     AS e(aggregate_type, aggregate_id, event_type, payload, ord)
     ),
     locked AS (
       -- The lock key is publish_outbox's (026): publishers of one aggregate take turns until commit.
       SELECT count(pg_advisory_xact_lock(hashtext('m10_recovery.outbox'), hashtext(k.key))) AS n
         FROM (SELECT DISTINCT aggregate_type || ':' || aggregate_id AS key FROM e ORDER BY 1) k
     )
     INSERT INTO m10_recovery.outbox (aggregate_type, aggregate_id, event_type, payload)
     SELECT e.aggregate_type, e.aggregate_id, e.event_type, e.payload
       FROM e CROSS JOIN locked
      ORDER BY e.ord
     RETURNING id`,
    [
      events.map((e) => e.aggregateType),
      events.map((e) => e.aggregateId),
      events.map((e) => e.eventType),
      events.map((e) => JSON.stringify(e.payload)),
    ],
  );
  return result.rows.map((row) => row.id);
}

export interface OutboxPublishMetrics {
  readonly m10OutboxPublishedTotal: MetricFor<"m10OutboxPublishedTotal">;
}

/** The one place m10_outbox_published_total is counted. Call it after the commit. */
export function countPublishedOutboxEvents(metrics: OutboxPublishMetrics, events: readonly OutboxEventInput[]): void {
  for (const event of events) metrics.m10OutboxPublishedTotal.inc({ aggregate_type: event.aggregateType, event_type: event.eventType });
}

/**
 * Runs `work` in one transaction with a `publish` that writes an outbox event in it; the events
 * are counted once the transaction has committed, so a caller cannot forget the metric.
 */
export async function withOutboxTransaction<T>(
  pool: Pool,
  metrics: OutboxPublishMetrics,
  work: (client: PoolClient, publish: (event: OutboxEventInput) => Promise<number>) => Promise<T>,
): Promise<T> {
  const published: OutboxEventInput[] = [];
  const result = await withTransaction(pool, (client) =>
    work(client, async (event) => {
      const id = await publishOutbox(client, event);
      published.push(event);
      return id;
    }),
  );
  countPublishedOutboxEvents(metrics, published);
  return result;
}
