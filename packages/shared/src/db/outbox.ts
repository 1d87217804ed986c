import type pg from "pg";
import type { Queryable } from "./pool.js";
import { withTransaction } from "./transaction.js";

// The outbox's delivery side (m10_recovery.outbox, schema decision 4 in docs/architecture.md §4.1):
// leased claims, completion by the lease holder, lease extension and release, dead letters, and the
// runbooks' monitoring queries ("Outbox Processor Operations").

/** A claimed event, as claim_outbox_events returns it. */
export interface OutboxEvent {
  id: number;
  aggregate_type: string;
  aggregate_id: string;
  event_type: string;
  payload: unknown;
  /** Failed attempts before this claim. */
  retry_count: number;
  /** Its place in the aggregate's order; the same for every attempt and replay of this version. */
  version: number;
}

export const OUTBOX_DEAD_LETTER_REASONS = ["outbox_max_retries", "outbox_permanent_failure", "outbox_retry_budget_exhausted"] as const;
export type OutboxDeadLetterReason = (typeof OUTBOX_DEAD_LETTER_REASONS)[number];

/** processed_by of a dead-lettered event. */
export const DEAD_LETTER_PROCESSOR = "dead-letter";

/**
 * claim_outbox_events: up to `batchSize` due events, leased to `processorId` for `leaseSeconds`,
 * at most one per aggregate (its oldest pending version), with the version each carries.
 */
export async function claimOutboxEvents(db: Queryable, processorId: string, batchSize: number, leaseSeconds: number): Promise<OutboxEvent[]> {
  const result = await db.query<OutboxEvent>(
    `SELECT id, aggregate_type, aggregate_id, event_type, payload, COALESCE(retry_count, 0) AS retry_count, version
       FROM m10_recovery.claim_outbox_events($1, $2, $3)`,
    [processorId, batchSize, leaseSeconds],
  );
  return result.rows;
}

/** Seconds since the event was published (created_at), by the database's clock: what the retry budget measures. */
export async function outboxEventAgeSeconds(db: Queryable, eventId: number): Promise<number> {
  const result = await db.query<{ age: number }>(
    "SELECT extract(epoch FROM now() - created_at)::float8 AS age FROM m10_recovery.outbox WHERE id = $1",
    [eventId],
  );
  return result.rows[0]?.age ?? 0;
}

/**
 * complete_outbox_event. Success marks the event processed; failure records `error`, bumps
 * retry_count and schedules the next attempt after `retryDelaySeconds` (NULL = the SQL default).
 * FALSE when `processorId` no longer holds the lease (nothing changed).
 */
export async function completeOutboxEvent(
  db: Queryable,
  eventId: number,
  processorId: string,
  outcome: { success: true } | { success: false; error: string; retryDelaySeconds: number | null },
): Promise<boolean> {
  const result = await db.query<{ ok: boolean }>("SELECT m10_recovery.complete_outbox_event($1, $2, $3, $4, $5) AS ok", [
    eventId,
    processorId,
    outcome.success,
    outcome.success ? null : outcome.error,
    outcome.success ? null : outcome.retryDelaySeconds,
  ]);
  return result.rows[0]?.ok === true;
}

/**
 * The success path of complete_outbox_event for many events in one statement (same holder check,
 * same columns): processed_at = now(), processed_by, lease cleared. Returns the ids completed;
 * an id missing from the result was no longer held by `processorId`.
 */
export async function completeDeliveredOutboxEvents(db: Queryable, processorId: string, eventIds: number[]): Promise<number[]> {
  if (eventIds.length === 0) return [];
  const result = await db.query<{ id: number }>(
    `UPDATE m10_recovery.outbox
        SET processed_at = now(), processed_by = $1, claimed_at = NULL, claimed_by = NULL
      WHERE id = ANY($2::bigint[]) AND processed_at IS NULL AND claimed_by = $1
      RETURNING id`,
    [processorId, eventIds],
  );
  return result.rows.map((row) => row.id);
}

/** Restarts the lease clock of events `processorId` still holds; returns the ids it still holds. */
export async function extendOutboxLeases(db: Queryable, processorId: string, eventIds: number[]): Promise<number[]> {
  if (eventIds.length === 0) return [];
  const result = await db.query<{ id: number }>(
    `UPDATE m10_recovery.outbox
        SET claimed_at = now()
      WHERE id = ANY($2::bigint[]) AND claimed_by = $1 AND processed_at IS NULL
      RETURNING id`,
    [processorId, eventIds],
  );
  return result.rows.map((row) => row.id);
}

/**
 * Gives claimed events back unattempted (shutdown, throttle wait exceeded, an open circuit): the
 * lease is cleared and retry_count untouched; they are due at once, or at `notBefore` when given
 * (the time an open circuit breaker lets its target be tried again).
 */
export async function releaseOutboxClaims(db: Queryable, processorId: string, eventIds: number[], notBefore?: Date): Promise<number> {
  if (eventIds.length === 0) return 0;
  const result = await db.query(
    `UPDATE m10_recovery.outbox
        SET claimed_at = NULL, claimed_by = NULL, next_retry_at = coalesce($3::timestamptz, next_retry_at)
      WHERE id = ANY($2::bigint[]) AND claimed_by = $1 AND processed_at IS NULL`,
    [processorId, eventIds, notBefore ?? null],
  );
  return result.rowCount ?? 0;
}

/**
 * Dead-letters an event held by `processorId`, in one transaction: a dead_letter_archive row
 * (reason, original_msg_id `outbox:<id>`, payload = the event with its version, reclaim_count = failed attempts)
 * and the outbox row marked processed by `dead-letter` with the last error. Returns the archive
 * id, or undefined when the lease is no longer held (nothing written).
 */
export async function deadLetterOutboxEvent(
  pool: pg.Pool,
  eventId: number,
  processorId: string,
  reason: OutboxDeadLetterReason,
  error: string,
): Promise<number | undefined> {
  return withTransaction(pool, async (client) => {
    const held = await client.query<{ retry_count: number }>(
      `SELECT COALESCE(retry_count, 0) AS retry_count
         FROM m10_recovery.outbox
        WHERE id = $1 AND claimed_by = $2 AND processed_at IS NULL
          FOR UPDATE`,
      [eventId, processorId],
    );
    if (held.rows.length === 0) return undefined;
    const archived = await client.query<{ id: number }>(
      `SELECT m10_recovery.archive_dead_letter(
                NULL,
                'outbox:' || o.id,
                CASE WHEN o.aggregate_type = 'recovery_candidate' AND o.aggregate_id ~ '^[0-9]{1,9}$'
                     THEN o.aggregate_id::integer END,
                NULL,
                jsonb_build_object('id', o.id, 'version', o.version, 'aggregate_type', o.aggregate_type, 'aggregate_id', o.aggregate_id,
                                   'event_type', o.event_type, 'payload', o.payload, 'created_at', o.created_at,
                                   'retry_count', COALESCE(o.retry_count, 0) + 1, 'last_error', $2::text),
                $3,
                COALESCE(o.retry_count, 0) + 1,
                now(),
                $4) AS id
         FROM m10_recovery.outbox o
        WHERE o.id = $1`,
      [eventId, error, reason, processorId],
    );
    await client.query(
      `UPDATE m10_recovery.outbox
          SET processed_at = now(), processed_by = $2, last_error = $3,
              retry_count = COALESCE(retry_count, 0) + 1, claimed_at = NULL, claimed_by = NULL
        WHERE id = $1`,
      [eventId, DEAD_LETTER_PROCESSOR, error],
    );
    return archived.rows[0]?.id;
  });
}

// ---------------------------------------------------------------- the runbooks' monitoring queries

export interface OutboxStatusRow {
  status: "processed" | "retrying" | "pending";
  count: number;
  avg_retries: number | null;
}

/** Recovery Operations Runbook, "Outbox status overview". */
export async function outboxStatusOverview(db: Queryable): Promise<OutboxStatusRow[]> {
  const result = await db.query<OutboxStatusRow>(
    `SELECT
         CASE
             WHEN processed_at IS NOT NULL THEN 'processed'
             WHEN next_retry_at > now() THEN 'retrying'
             ELSE 'pending'
         END as status,
         COUNT(*)::integer as count,
         AVG(retry_count)::float8 as avg_retries
     FROM m10_recovery.outbox
     GROUP BY 1
     ORDER BY 1`,
  );
  return result.rows;
}

export interface OutboxTotals {
  total: number;
  pending: number;
  processed: number;
}

/** Production Handbook, "Check Outbox Status". */
export async function outboxTotals(db: Queryable): Promise<OutboxTotals> {
  const result = await db.query<OutboxTotals>(
    `SELECT COUNT(*)::integer as total,
            COUNT(*) FILTER (WHERE processed_at IS NULL)::integer as pending,
            COUNT(*) FILTER (WHERE processed_at IS NOT NULL)::integer as processed
       FROM m10_recovery.outbox`,
  );
  return result.rows[0] ?? { total: 0, pending: 0, processed: 0 };
}

/** "Oldest pending lag": seconds since the oldest unprocessed event was created; null when none is pending. */
export async function outboxLagSeconds(db: Queryable): Promise<number | null> {
  const result = await db.query<{ lag: number | null }>(
    `SELECT EXTRACT(EPOCH FROM (now() - MIN(created_at)))::float8 AS lag
       FROM m10_recovery.outbox
      WHERE processed_at IS NULL`,
  );
  return result.rows[0]?.lag ?? null;
}

export interface OutboxFailureRow {
  id: number;
  event_type: string;
  retry_count: number;
  last_error: string;
  updated_at: Date;
}

/** "Recent failures": the latest events with a last_error, newest first. */
export async function recentOutboxFailures(db: Queryable, limit = 10): Promise<OutboxFailureRow[]> {
  const result = await db.query<OutboxFailureRow>(
    `SELECT id, event_type, retry_count, last_error, updated_at
       FROM m10_recovery.outbox
      WHERE last_error IS NOT NULL
      ORDER BY updated_at DESC
      LIMIT $1`,
    [limit],
  );
  return result.rows;
}

export interface OutboxRetryRow {
  id: number;
  event_type: string;
  retry_count: number;
  next_retry_at: Date | null;
  last_error: string | null;
}

/** "Events stuck in retry", step 1: unprocessed events that failed at least once, most retried first. */
export async function outboxEventsInRetry(db: Queryable, limit = 10): Promise<OutboxRetryRow[]> {
  const result = await db.query<OutboxRetryRow>(
    `SELECT id, event_type, retry_count, next_retry_at, last_error
       FROM m10_recovery.outbox
      WHERE processed_at IS NULL AND retry_count > 0
      ORDER BY retry_count DESC
      LIMIT $1`,
    [limit],
  );
  return result.rows;
}

// The runbook's reset: no failures, no last error, due now (the retry-time trigger copies
// next_retry_at into process_after).
const RESET_FOR_RETRY = "retry_count = 0, next_retry_at = NOW(), last_error = NULL";

/**
 * "Events stuck in retry", step 2: resets unprocessed events with at least `minRetries` failures.
 * Returns the number of events reset.
 */
export async function resetStuckOutboxEvents(db: Queryable, minRetries = 5): Promise<number> {
  const result = await db.query(
    `UPDATE m10_recovery.outbox
        SET ${RESET_FOR_RETRY}
      WHERE id IN (SELECT id FROM m10_recovery.outbox WHERE retry_count >= $1 AND processed_at IS NULL)`,
    [minRetries],
  );
  return result.rowCount ?? 0;
}

export interface OutboxEventState {
  id: number;
  event_type: string;
  processed_at: Date | null;
  processed_by: string | null;
  retry_count: number | null;
  claimed_by: string | null;
}

const EVENT_STATE_COLUMNS = "id, event_type, processed_at, processed_by, retry_count, claimed_by";

/**
 * The runbook's reset for one event. Only an unprocessed event changes; a lease a processor holds
 * right now is left alone (it completes or expires as usual). Undefined when nothing changed.
 */
export async function retryOutboxEvent(db: Queryable, id: number): Promise<OutboxEventState | undefined> {
  const result = await db.query<OutboxEventState>(
    `UPDATE m10_recovery.outbox
        SET ${RESET_FOR_RETRY}
      WHERE id = $1 AND processed_at IS NULL
      RETURNING ${EVENT_STATE_COLUMNS}`,
    [id],
  );
  return result.rows[0];
}

/** Where an event stands: tells an operator why a retry changed nothing (delivered, dead-lettered, unknown). */
export async function outboxEventState(db: Queryable, id: number): Promise<OutboxEventState | undefined> {
  const result = await db.query<OutboxEventState>(`SELECT ${EVENT_STATE_COLUMNS} FROM m10_recovery.outbox WHERE id = $1`, [id]);
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
