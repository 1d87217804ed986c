// The runbook's outbox retry and the counts operators read before it (m10ctl outbox), against a
// real PostgreSQL; and the handbook's quick health check.
import { createTestDatabase, type TestDatabase } from "@m10/devstack/testing";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { healthCheckCounts } from "../src/db/health-check.js";
import { DEAD_LETTER_PROCESSOR, outboxEventState, outboxHealthCounts, resetStuckOutboxEvents, retryOutboxEvent } from "../src/db/outbox.js";

let db: TestDatabase;
let pool: pg.Pool;
let aggregates = 0;

beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url });
  // An idle connection the server ends while the pool closes must not fail the run as unhandled.
  pool.on("error", () => undefined);
});

afterAll(async () => {
  await pool.end();
  await db.drop();
});

async function event(columns: { retry_count?: number; processed_by?: string; claimed_by?: string; last_error?: string } = {}): Promise<number> {
  const result = await pool.query<{ id: number }>(
    `INSERT INTO m10_recovery.outbox (aggregate_type, aggregate_id, event_type, payload, retry_count, last_error, next_retry_at,
                                      processed_at, processed_by, claimed_at, claimed_by)
     VALUES ('recovery_candidate', $5, 'recovery.suggested', '{}', $1, $2, now() + interval '1 hour',
             CASE WHEN $3::text IS NOT NULL THEN now() END, $3, CASE WHEN $4::text IS NOT NULL THEN now() END, $4)
     RETURNING id`,
    // One pending event per aggregate and type (uq_outbox_pending).
    [columns.retry_count ?? 0, columns.last_error ?? null, columns.processed_by ?? null, columns.claimed_by ?? null, String(++aggregates)],
  );
  return result.rows[0]!.id;
}

describe("retryOutboxEvent", () => {
  it("makes an unprocessed event due now with no failures, and leaves a lease in flight alone", async () => {
    const id = await event({ retry_count: 4, last_error: "timeout", claimed_by: "processor-1" });

    const reset = await retryOutboxEvent(pool, id);

    expect(reset).toEqual({ id, event_type: "recovery.suggested", processed_at: null, processed_by: null, retry_count: 0, claimed_by: "processor-1" });
    const row = await pool.query("SELECT last_error, next_retry_at <= now() AS due FROM m10_recovery.outbox WHERE id = $1", [id]);
    expect(row.rows).toEqual([{ last_error: null, due: true }]);
  });

  it("changes nothing for a processed event, whose state tells why", async () => {
    const delivered = await event({ processed_by: "processor-1", retry_count: 1 });
    const deadLettered = await event({ processed_by: DEAD_LETTER_PROCESSOR, retry_count: 6 });

    expect(await retryOutboxEvent(pool, delivered)).toBeUndefined();
    expect(await retryOutboxEvent(pool, deadLettered)).toBeUndefined();
    expect(await outboxEventState(pool, delivered)).toMatchObject({ processed_by: "processor-1", retry_count: 1, processed_at: expect.any(Date) });
    expect(await outboxEventState(pool, deadLettered)).toMatchObject({ processed_by: DEAD_LETTER_PROCESSOR, retry_count: 6 });
    expect(await outboxEventState(pool, 999_999_999)).toBeUndefined();
  });
});

describe("outboxHealthCounts and healthCheckCounts", () => {
  it("count stuck, dead-lettered and leased events, and what the handbook's health check reads", async () => {
    await pool.query("DELETE FROM m10_recovery.outbox");
    await event({ retry_count: 5 });
    await event({ retry_count: 7, claimed_by: "processor-1" });
    await event({ retry_count: 2 });
    await event({ processed_by: DEAD_LETTER_PROCESSOR, retry_count: 6 });

    expect(await outboxHealthCounts(pool, 5)).toEqual({ stuck: 2, dead_lettered: 1, leased: 1 });
    expect(await healthCheckCounts(pool)).toMatchObject({ outbox_pending: 3, dead_letters: expect.any(Number), active_locks: expect.any(Number), replay_log_entries: expect.any(Number) });

    expect(await resetStuckOutboxEvents(pool, 5)).toBe(2);
    expect(await outboxHealthCounts(pool, 5)).toEqual({ stuck: 0, dead_lettered: 1, leased: 1 });
  });
});
