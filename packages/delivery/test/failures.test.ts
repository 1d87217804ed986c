import { waitUntil } from "@m10/devstack/testing";
import { type Pool, claimOutboxEvents, completeOutboxEvent } from "@m10/shared";
import { describe, expect, it } from "vitest";
import { insertEvents, outboxRows, testEngine, useOutboxEnvironment, webhookRouting } from "../src/testing.js";

interface ArchiveRow {
  reason: string;
  original_msg_id: string;
  candidate_id: number | null;
  reclaim_count: number;
  archived_by: string;
  failure_reason: string;
  payload: { id: number; aggregate_type: string; aggregate_id: string; event_type: string; payload: unknown; retry_count: number; last_error: string };
}

async function archiveRows(pool: Pool): Promise<ArchiveRow[]> {
  const result = await pool.query<ArchiveRow>(
    "SELECT reason, original_msg_id, candidate_id, reclaim_count, archived_by, failure_reason, payload FROM m10_recovery.dead_letter_archive ORDER BY id",
  );
  return result.rows;
}

describe("delivery failures", () => {
  const t = useOutboxEnvironment();

  it("waits at least the Retry-After of a 429 before the next attempt", async () => {
    t.sink.respond = () => ({ status: 429, headers: { "retry-after": "7" }, body: "slow down" });
    await insertEvents(t.pool, 1, "recovery.suggested");
    const engine = testEngine({ pool: t.pool, routing: webhookRouting(t.sink.url), settings: { backoff: { baseSeconds: 0, maxSeconds: 3600 } } });

    const report = await engine.runOnce();

    expect(report).toMatchObject({ claimed: 1, retried: 1, failed: 1, delivered: 0 });
    const [row] = await outboxRows(t.pool);
    expect(row?.retry_count).toBe(1);
    expect(row?.last_error).toBe("HTTP 429: slow down");
    // updated_at is the completion's now(); the next attempt is due 7 s later, not before.
    expect((row?.next_retry_at?.getTime() ?? 0) - (row?.updated_at.getTime() ?? 0)).toBeGreaterThanOrEqual(7_000);
    expect(row?.process_after?.getTime()).toBe(row?.next_retry_at?.getTime());
    expect((await engine.runOnce()).claimed).toBe(0);
    expect(t.sink.requests).toHaveLength(1);
  });

  it("dead-letters an event at once when the receiver answers 404", async () => {
    t.sink.respond = () => ({ status: 404, body: "no such hook" });
    const [id] = await insertEvents(t.pool, 1, "recovery.suggested", () => ({ suggestion: "retry" }));
    const engine = testEngine({ pool: t.pool, routing: webhookRouting(t.sink.url) });

    expect(await engine.runOnce()).toMatchObject({ claimed: 1, deadLettered: 1, retried: 0 });

    const [row] = await outboxRows(t.pool);
    expect(row).toMatchObject({ processed_by: "dead-letter", retry_count: 1, last_error: "HTTP 404: no such hook", claimed_by: null });
    expect(row?.processed_at).not.toBeNull();
    const [archived] = await archiveRows(t.pool);
    expect(archived).toMatchObject({
      reason: "outbox_permanent_failure",
      failure_reason: "outbox_permanent_failure",
      original_msg_id: `outbox:${id}`,
      reclaim_count: 1,
      archived_by: engine.processorId,
      payload: { id, aggregate_type: "test", aggregate_id: "1", event_type: "recovery.suggested", payload: { suggestion: "retry" }, retry_count: 1, last_error: "HTTP 404: no such hook" },
    });
    expect(t.sink.requests).toHaveLength(1);
    expect(await engine.metrics.registry.getSingleMetricAsString("m10_outbox_dead_lettered_total")).toContain(
      'm10_outbox_dead_lettered_total{event_type="recovery.suggested",reason="outbox_permanent_failure"} 1',
    );
    expect(await engine.metrics.registry.getSingleMetricAsString("m10_archive_total")).toContain('m10_archive_total{source="outbox"} 1');
  });

  it("retries five failures and dead-letters the event on the sixth", async () => {
    t.sink.respond = () => ({ status: 503, body: "down" });
    await insertEvents(t.pool, 1, "recovery.suggested");
    const engine = testEngine({ pool: t.pool, routing: webhookRouting(t.sink.url), settings: { backoff: { baseSeconds: 0, maxSeconds: 0 }, maxRetries: 5 } });

    for (let attempt = 1; attempt <= 5; attempt += 1) {
      expect(await engine.runOnce()).toMatchObject({ claimed: 1, retried: 1 });
      const [row] = await outboxRows(t.pool);
      expect(row).toMatchObject({ retry_count: attempt, processed_at: null, last_error: "HTTP 503: down" });
    }
    expect(await engine.runOnce()).toMatchObject({ claimed: 1, deadLettered: 1 });

    const [row] = await outboxRows(t.pool);
    expect(row).toMatchObject({ retry_count: 6, processed_by: "dead-letter" });
    const [archived] = await archiveRows(t.pool);
    expect(archived).toMatchObject({ reason: "outbox_max_retries", reclaim_count: 6 });
    expect(t.sink.requests).toHaveLength(6);
    expect(await engine.metrics.registry.getSingleMetricAsString("m10_outbox_failed_total")).toContain(
      'm10_outbox_failed_total{aggregate_type="test",event_type="recovery.suggested"} 6',
    );
  });

  it("schedules retries with exponentially growing delays within the full-jitter bounds", async () => {
    t.sink.respond = () => ({ status: 500 });
    // Events that already failed 0..4 times: the ceiling is min(3600, 30 * 2^n).
    await insertEvents(t.pool, 5, "recovery.suggested");
    await t.pool.query("UPDATE m10_recovery.outbox SET retry_count = aggregate_id::int - 1");
    const atCeiling = testEngine({ pool: t.pool, routing: webhookRouting(t.sink.url), settings: { backoff: { baseSeconds: 30, maxSeconds: 3600 } }, random: () => 1 });

    await atCeiling.runOnce();

    const delays = (await outboxRows(t.pool)).map((r) => Math.round(((r.next_retry_at?.getTime() ?? 0) - r.updated_at.getTime()) / 1000));
    expect(delays).toEqual([30, 60, 120, 240, 480]);

    // With real randomness every delay stays inside [0, ceiling], and the ceiling stops at the cap.
    await t.pool.query("UPDATE m10_recovery.outbox SET retry_count = aggregate_id::int + 4, next_retry_at = now()");
    await testEngine({ pool: t.pool, routing: webhookRouting(t.sink.url), settings: { backoff: { baseSeconds: 30, maxSeconds: 3600 }, maxRetries: 20 } }).runOnce();
    for (const row of await outboxRows(t.pool)) {
      const failedBefore = Number(row.aggregate_id) + 4;
      const delay = ((row.next_retry_at?.getTime() ?? 0) - row.updated_at.getTime()) / 1000;
      expect(row.retry_count).toBe(failedBefore + 1);
      expect(row.processed_at).toBeNull();
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThanOrEqual(Math.min(3600, 30 * 2 ** failedBefore) + 1);
    }
  });

  it("treats an event type without a route as a failure and dead-letters it", async () => {
    await insertEvents(t.pool, 1, "mystery.event");
    const engine = testEngine({ pool: t.pool, routing: { targets: { sink: { type: "webhook", url: t.sink.url, rpm: 0 } }, routes: { "recovery.*": ["sink"] } } });

    expect(await engine.runOnce()).toMatchObject({ deadLettered: 1, delivered: 0 });

    const [row] = await outboxRows(t.pool);
    expect(row).toMatchObject({ processed_by: "dead-letter", last_error: 'No route for event type "mystery.event"' });
    expect((await archiveRows(t.pool))[0]?.reason).toBe("outbox_permanent_failure");
    expect(t.sink.requests).toHaveLength(0);
  });

  it("retries a timeout and a refused connection", async () => {
    t.sink.respond = () => ({ status: 200, delayMs: 1_500 });
    await insertEvents(t.pool, 1, "slow.event");
    await insertEvents(t.pool, 1, "refused.event", undefined, "other");
    const engine = testEngine({
      pool: t.pool,
      routing: {
        targets: { slow: { type: "webhook", url: t.sink.url, rpm: 0, timeout_seconds: 0.3 }, closed: { type: "webhook", url: "http://127.0.0.1:1/hook", rpm: 0 } },
        routes: { "slow.event": ["slow"], "refused.event": ["closed"] },
      },
      settings: { backoff: { baseSeconds: 30, maxSeconds: 3600 } },
    });

    expect(await engine.runOnce()).toMatchObject({ claimed: 2, retried: 2 });

    const rows = await outboxRows(t.pool);
    expect(rows.find((r) => r.event_type === "slow.event")).toMatchObject({ retry_count: 1, last_error: "Request timeout", processed_at: null });
    expect(rows.find((r) => r.event_type === "refused.event")).toMatchObject({ retry_count: 1, last_error: "Request error: ECONNREFUSED", processed_at: null });
  });

  it("lets only the lease holder complete an event", async () => {
    await insertEvents(t.pool, 1, "recovery.suggested");
    const [claimed] = await claimOutboxEvents(t.pool, "processor-a", 10, 1);
    if (!claimed) throw new Error("nothing claimed");
    expect(await claimOutboxEvents(t.pool, "processor-b", 10, 1)).toHaveLength(0);
    // A fixed delay on purpose: the test is about what happens once the 1 s lease has run out.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect((await claimOutboxEvents(t.pool, "processor-b", 10, 1)).map((e) => e.id)).toEqual([claimed.id]);

    expect(await completeOutboxEvent(t.pool, claimed.id, "processor-a", { success: true })).toBe(false);
    expect(await completeOutboxEvent(t.pool, claimed.id, "processor-b", { success: true })).toBe(true);
    expect((await outboxRows(t.pool))[0]?.processed_by).toBe("processor-b");
  });

  it("counts a completion refused because the lease was taken over", async () => {
    let stolen = false;
    t.sink.respond = () => ({ status: 200, delayMs: 300 });
    await insertEvents(t.pool, 1, "recovery.suggested");
    const engine = testEngine({ pool: t.pool, routing: webhookRouting(t.sink.url) });

    const running = engine.runOnce();
    await waitUntil("the delivery to reach the receiver", () => t.sink.requests.length > 0, { intervalMs: 10 });
    // Another processor takes the event over while the delivery is still running.
    stolen = (await t.pool.query("UPDATE m10_recovery.outbox SET claimed_by = 'other', claimed_at = now()")).rowCount === 1;
    const report = await running;

    expect(stolen).toBe(true);
    expect(report).toMatchObject({ claimed: 1, delivered: 0, leaseLost: 1 });
    expect((await outboxRows(t.pool))[0]).toMatchObject({ processed_at: null, claimed_by: "other" });
    expect(await engine.metrics.registry.getSingleMetricAsString("m10_outbox_lease_lost_total")).toContain("m10_outbox_lease_lost_total 1");
  });
});
