import { errorMessage, truncateCodePoints, withTransaction, type Pool } from "@m10/shared";
import type pg from "pg";

// The Phase 7 event ledger (migration 030, public.event_ledger): a receiver of M10's events runs its
// work for an event at most once per consumer group, however often the event is delivered or
// replayed. The ledger row and the work commit in one transaction, so a crash before the commit
// leaves no trace and the next delivery runs the work again.

export interface IdempotentEvent {
  pool: Pool;
  /** The event's id: the envelope's `id` (the outbox idempotency key, = `webhook-id` / `Nats-Msg-Id`). */
  eventId: string;
  eventType: string;
  consumerGroup: string;
}

export type IdempotentOutcome<T> =
  /** The work ran now and committed; `attempts` counts this run and the failed ones before it. */
  | { status: "processed"; result: T; attempts: number }
  /** Processed before (by this or another delivery): the work did not run; `result` is the stored one. */
  | { status: "duplicate"; result: unknown; attempts: number };

const ERROR_MESSAGE_MAX = 2_000;

/**
 * Runs `work` for the event unless its consumer group already processed it. `work` gets the
 * transaction's client: what it writes through it commits together with the ledger row, or not at
 * all. Concurrent deliveries of one event wait on the ledger row's unique key; the first to commit
 * wins and the others return `duplicate`. A `work` that throws rolls back, is recorded as `failed`
 * (attempts, error) and rethrown; the next delivery runs it again.
 */
export async function ensureIdempotentProcessing<T>(event: IdempotentEvent, work: (client: pg.PoolClient) => Promise<T>): Promise<IdempotentOutcome<T>> {
  const { pool, eventId, eventType, consumerGroup } = event;
  try {
    return await withTransaction(pool, async (client) => {
      // A new row, or a failed one taken over; a processed row (or one another delivery holds until
      // it commits) returns nothing after the wait.
      const claimed = await client.query<{ id: string; attempts: number }>(
        `INSERT INTO public.event_ledger AS l (event_id, event_type, consumer_group, status)
         VALUES ($1, $2, $3, 'processing')
         ON CONFLICT (event_id, consumer_group) DO UPDATE
            SET status = 'processing', attempts = l.attempts + 1, error_message = NULL, updated_at = now()
          WHERE l.status = 'failed'
         RETURNING id, attempts`,
        [eventId, eventType, consumerGroup],
      );
      const row = claimed.rows[0];
      if (!row) {
        const stored = await client.query<{ result: unknown; attempts: number }>(
          "SELECT result, attempts FROM public.event_ledger WHERE event_id = $1 AND consumer_group = $2",
          [eventId, consumerGroup],
        );
        return { status: "duplicate", result: stored.rows[0]?.result ?? null, attempts: stored.rows[0]?.attempts ?? 0 };
      }
      const result = await work(client);
      await client.query(
        `UPDATE public.event_ledger
            SET status = 'processed', result = $2::jsonb, processed_at = now(), updated_at = now()
          WHERE id = $1`,
        [row.id, JSON.stringify(result ?? null)],
      );
      return { status: "processed", result, attempts: row.attempts };
    });
  } catch (error) {
    await recordFailure(event, error);
    throw error;
  }
}

/** Outside the rolled-back transaction, on a fresh connection: the failure and its error, unless processed meanwhile. */
async function recordFailure(event: IdempotentEvent, error: unknown): Promise<void> {
  await event.pool
    .query(
      `INSERT INTO public.event_ledger AS l (event_id, event_type, consumer_group, status, error_message)
       VALUES ($1, $2, $3, 'failed', $4)
       ON CONFLICT (event_id, consumer_group) DO UPDATE
          SET status = 'failed', attempts = l.attempts + 1, error_message = EXCLUDED.error_message, updated_at = now()
        WHERE l.status = 'failed'`,
      [event.eventId, event.eventType, event.consumerGroup, truncateCodePoints(errorMessage(error), ERROR_MESSAGE_MAX)],
    )
    // The database may be what failed; the delivery is retried either way.
    .catch(() => undefined);
}
