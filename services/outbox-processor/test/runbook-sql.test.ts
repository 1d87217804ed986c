import { claimOutboxEvents, outboxEventsInRetry, outboxLagSeconds, outboxStatusOverview, outboxTotals, recentOutboxFailures, resetStuckOutboxEvents } from "@m10/shared";
import { beforeEach, describe, expect, it } from "vitest";
import { insertEvents, outboxRows, useOutboxEnvironment, webhookRouting } from "@m10/delivery/testing";
import { testProcessor } from "./support/processor.js";

// Verbatim from the Recovery Operations Runbook, "Outbox Processor Operations".
const STATUS_OVERVIEW = `
SELECT
    CASE
        WHEN processed_at IS NOT NULL THEN 'processed'
        WHEN next_retry_at > now() THEN 'retrying'
        ELSE 'pending'
    END as status,
    COUNT(*) as count,
    AVG(retry_count) as avg_retries
FROM m10_recovery.outbox
GROUP BY 1;`;
const OLDEST_PENDING_LAG = `
SELECT EXTRACT(EPOCH FROM (now() - MIN(created_at)))
FROM m10_recovery.outbox
WHERE processed_at IS NULL;`;
const RECENT_FAILURES = `
SELECT id, event_type, retry_count, last_error, updated_at
FROM m10_recovery.outbox
WHERE last_error IS NOT NULL
ORDER BY updated_at DESC
LIMIT 10;`;
const STUCK_IN_RETRY = `
SELECT id, event_type, retry_count, next_retry_at, last_error
FROM m10_recovery.outbox
WHERE processed_at IS NULL AND retry_count > 0
ORDER BY retry_count DESC
LIMIT 10;`;
const RESET_STUCK = `
UPDATE m10_recovery.outbox
SET retry_count = 0, next_retry_at = NOW(), last_error = NULL
WHERE id IN (SELECT id FROM m10_recovery.outbox WHERE retry_count >= 5 AND processed_at IS NULL);`;
// Production Handbook, "Check Outbox Status".
const CHECK_STATUS = `
  SELECT
    COUNT(*) as total,
    COUNT(*) FILTER (WHERE processed_at IS NULL) as pending,
    COUNT(*) FILTER (WHERE processed_at IS NOT NULL) as processed
  FROM m10_recovery.outbox;`;

describe("the runbooks' outbox SQL", () => {
  const t = useOutboxEnvironment();

  // The state the runbook's queries read: 3 delivered, 2 failing once, 2 failing for the fifth
  // time, 2 never attempted.
  beforeEach(async () => {
    t.sink.respond = (request) => {
      const n = Number(JSON.parse(request.body).aggregate_id);
      return n <= 3 ? { status: 200 } : { status: 503, body: `down ${n}` };
    };
    await insertEvents(t.pool, 7, "recovery.suggested");
    await t.pool.query("UPDATE m10_recovery.outbox SET retry_count = 4 WHERE aggregate_id IN ('6', '7')");
    const processor = testProcessor({ pool: t.pool, routing: webhookRouting(t.sink.url), settings: { backoff: { baseSeconds: 600, maxSeconds: 3600 } }, random: () => 1 });
    expect(await processor.runOnce()).toMatchObject({ delivered: 3, retried: 4 });
    await t.pool.query("INSERT INTO m10_recovery.outbox (aggregate_type, aggregate_id, event_type, payload, created_at) VALUES ('test', '8', 'later', '{}', now() - interval '90 seconds'), ('test', '9', 'later', '{}', now())");
  });

  it("shows processed, retrying and pending events in the status overview", async () => {
    const rows = (await t.pool.query<{ status: string; count: string; avg_retries: string }>(STATUS_OVERVIEW)).rows;
    const byStatus = Object.fromEntries(rows.map((r) => [r.status, { count: Number(r.count), avg: Number(r.avg_retries) }]));
    expect(byStatus).toEqual({ processed: { count: 3, avg: 0 }, retrying: { count: 4, avg: 3 }, pending: { count: 2, avg: 0 } });
    expect(await outboxStatusOverview(t.pool)).toEqual([
      { status: "pending", count: 2, avg_retries: 0 },
      { status: "processed", count: 3, avg_retries: 0 },
      { status: "retrying", count: 4, avg_retries: 3 },
    ]);
    const [totals] = (await t.pool.query<{ total: number; pending: number; processed: number }>(CHECK_STATUS)).rows;
    expect(totals).toEqual({ total: 9, pending: 6, processed: 3 });
    expect(await outboxTotals(t.pool)).toEqual({ total: 9, pending: 6, processed: 3 });
  });

  it("reports the age of the oldest pending event as the lag", async () => {
    const [row] = (await t.pool.query<{ extract: string }>(OLDEST_PENDING_LAG)).rows;
    expect(Number(row?.extract)).toBeGreaterThanOrEqual(90);
    expect(Number(row?.extract)).toBeLessThan(120);
    expect(await outboxLagSeconds(t.pool)).toBeGreaterThanOrEqual(90);
  });

  it("lists recent failures with their last error, newest first", async () => {
    const rows = (await t.pool.query<{ id: number; retry_count: number; last_error: string; updated_at: Date }>(RECENT_FAILURES)).rows;
    expect(rows.map((r) => r.last_error).sort()).toEqual(["down 4", "down 5", "down 6", "down 7"].map((s) => `HTTP 503: ${s}`));
    expect(rows.map((r) => r.updated_at.getTime())).toEqual([...rows.map((r) => r.updated_at.getTime())].sort((a, b) => b - a));
    expect((await recentOutboxFailures(t.pool)).map((r) => r.id)).toEqual(rows.map((r) => r.id));
  });

  it("resets events stuck in retry and makes them due at once", async () => {
    const stuck = (await t.pool.query<{ id: number; retry_count: number }>(STUCK_IN_RETRY)).rows;
    expect(stuck.map((r) => r.retry_count)).toEqual([5, 5, 1, 1]);
    expect((await outboxEventsInRetry(t.pool)).map((r) => r.id)).toEqual(stuck.map((r) => r.id));
    expect(await claimOutboxEvents(t.pool, "probe", 100, 300)).toHaveLength(2); // only the never-attempted ones are due
    await t.pool.query("UPDATE m10_recovery.outbox SET claimed_at = NULL, claimed_by = NULL");

    const reset = await t.pool.query(RESET_STUCK);

    expect(reset.rowCount).toBe(2);
    const rows = await outboxRows(t.pool);
    const resetRows = rows.filter((r) => ["6", "7"].includes(r.aggregate_id));
    expect(resetRows.every((r) => r.retry_count === 0 && r.last_error === null && r.process_after?.getTime() === r.next_retry_at?.getTime())).toBe(true);
    const due = await claimOutboxEvents(t.pool, "probe", 100, 300);
    expect(due.map((e) => e.aggregate_id).sort()).toEqual(["6", "7", "8", "9"]);
    expect(await resetStuckOutboxEvents(t.pool)).toBe(0);
  });

  it("resets through the shared module the same way", async () => {
    expect(await resetStuckOutboxEvents(t.pool, 5)).toBe(2);
    const due = await claimOutboxEvents(t.pool, "probe", 100, 300);
    expect(due.map((e) => e.aggregate_id).sort()).toEqual(["6", "7", "8", "9"]);
    const retried = await outboxRows(t.pool);
    expect(retried.filter((r) => r.retry_count === 1)).toHaveLength(2);
  });
});
