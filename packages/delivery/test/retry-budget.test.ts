// The outbox retry budget (docs/architecture.md §2 promise 5): a retryable failure is retried with a
// capped, jittered backoff until OUTBOX_RETRY_BUDGET_SECONDS after the event was published, so a
// target outage of hours loses nothing; a permanent failure is dead-lettered at once.
import { outboxProcessorConfigSchema, parseEnv, type Pool } from "@m10/shared";
import { waitUntil } from "@m10/devstack/testing";
import { describe, expect, it } from "vitest";
import { deliverySettings } from "../src/engine.js";
import { decideAfterFailure } from "../src/retry-policy.js";
import { insertEvents, outboxRows, testEngine, useOutboxEnvironment, webhookRouting } from "../src/testing.js";

const HOUR = 3_600;
/** The processor's configuration with nothing set but what is required. */
const ENV = { DATABASE_URL: "postgres://unused" };

async function archivedReasons(pool: Pool): Promise<{ reason: string; original_msg_id: string; after_ms: number }[]> {
  const result = await pool.query<{ reason: string; original_msg_id: string; after_ms: number }>(
    `SELECT dla.reason, dla.original_msg_id,
            (extract(epoch FROM dla.dead_lettered_at - o.created_at) * 1000)::int AS after_ms
       FROM m10_recovery.dead_letter_archive dla
       JOIN m10_recovery.outbox o ON dla.original_msg_id = 'outbox:' || o.id
      ORDER BY dla.id`,
  );
  return result.rows;
}

describe("the retry budget with the default settings (a fake clock)", () => {
  const settings = deliverySettings(parseEnv(outboxProcessorConfigSchema, ENV));
  const retryable = { permanent: false };

  it("defaults to a 24 h budget with no retry count limit and a 30-minute backoff cap", () => {
    expect(settings).toMatchObject({ retryBudgetSeconds: 24 * HOUR, maxRetries: undefined, backoff: { baseSeconds: 30, maxSeconds: 1_800 } });
  });

  it("retries through a 12-hour outage of the target, at most 30 minutes apart, and gives up only after 24 hours", () => {
    for (let run = 0; run < 50; run += 1) {
      let age = 0;
      let retryCount = 0;
      for (;;) {
        const decision = decideAfterFailure(retryable, retryCount, age, settings);
        if (decision.kind === "dead_letter") {
          expect(decision.reason).toBe("outbox_retry_budget_exhausted");
          expect(age).toBeGreaterThanOrEqual(24 * HOUR);
          break;
        }
        expect(decision.delaySeconds).toBeLessThanOrEqual(1_800);
        // The target is down: each attempt fails; the clock moves on by the delay (and the attempt).
        age += decision.delaySeconds + 1;
        retryCount += 1;
      }
      expect(retryCount).toBeGreaterThan(24 * 2); // many attempts, none of them the last before 24 h
    }
  });

  it("never schedules an attempt past the budget: the last one falls on its end", () => {
    expect(decideAfterFailure(retryable, 40, 24 * HOUR - 10, settings, () => 1)).toEqual({ kind: "retry", delaySeconds: 10 });
    expect(decideAfterFailure(retryable, 41, 24 * HOUR, settings, () => 1)).toEqual({ kind: "dead_letter", reason: "outbox_retry_budget_exhausted" });
  });

  it("dead-letters a permanent failure at once, and honours an explicit OUTBOX_MAX_RETRIES", () => {
    expect(decideAfterFailure({ permanent: true }, 0, 0, settings)).toEqual({ kind: "dead_letter", reason: "outbox_permanent_failure" });
    const capped = deliverySettings(parseEnv(outboxProcessorConfigSchema, { ...ENV, OUTBOX_MAX_RETRIES: "5" }));
    expect(decideAfterFailure(retryable, 4, 60, capped).kind).toBe("retry");
    expect(decideAfterFailure(retryable, 5, 60, capped)).toEqual({ kind: "dead_letter", reason: "outbox_max_retries" });
  });
});

// Real deliveries with scaled time: one "hour" is one second.
describe("the retry budget against a real receiver (1 hour = 1 s)", () => {
  const t = useOutboxEnvironment();

  it("loses nothing when the target is down for 7 hours of a 10-hour budget: every event is delivered once it is back", async () => {
    const backAt = Date.now() + 7_000;
    t.sink.respond = () => (Date.now() < backAt ? { status: 503, body: "maintenance" } : { status: 200 });
    const ids = await insertEvents(t.pool, 3, "recovery.suggested");
    const engine = testEngine({
      pool: t.pool,
      routing: webhookRouting(t.sink.url),
      settings: { retryBudgetSeconds: 10, backoff: { baseSeconds: 1, maxSeconds: 1 } },
      random: () => 1,
    });

    await waitUntil("every event delivered", async () => {
      await engine.runOnce();
      return (await outboxRows(t.pool)).every((r) => r.processed_at !== null);
    }, { timeoutMs: 20_000, intervalMs: 100 });

    expect(await archivedReasons(t.pool)).toEqual([]);
    const rows = await outboxRows(t.pool);
    expect(rows.map((r) => r.id)).toEqual(ids);
    for (const row of rows) {
      expect(row.processed_by).toBe(engine.processorId);
      expect(row.retry_count).toBeGreaterThan(5); // more failures than the old five-retry limit allowed
    }
    const successes = t.sink.successesByKey();
    expect(successes.size).toBe(3);
    expect([...successes.values()].every((n) => n === 1)).toBe(true);
  });

  it("dead-letters an event still failing when its 3-hour budget runs out, not before, and a permanent failure at once", async () => {
    t.sink.respond = (request) => (request.body.includes('"permanent"') ? { status: 400, body: "bad request" } : { status: 503, body: "down" });
    const [down, rejected] = await insertEvents(t.pool, 2, "recovery.suggested", (i) => ({ kind: i === 1 ? "down" : "permanent" }));
    const engine = testEngine({
      pool: t.pool,
      routing: webhookRouting(t.sink.url),
      settings: { retryBudgetSeconds: 3, backoff: { baseSeconds: 1, maxSeconds: 1 } },
      random: () => 1,
    });

    await engine.runOnce();
    expect(await archivedReasons(t.pool)).toMatchObject([{ reason: "outbox_permanent_failure", original_msg_id: `outbox:${rejected}` }]);
    await waitUntil("the failing event dead-lettered", async () => {
      await engine.runOnce();
      return (await archivedReasons(t.pool)).length === 2;
    }, { timeoutMs: 15_000, intervalMs: 100 });

    const [, exhausted] = await archivedReasons(t.pool);
    expect(exhausted).toMatchObject({ reason: "outbox_retry_budget_exhausted", original_msg_id: `outbox:${down}` });
    expect(exhausted?.after_ms).toBeGreaterThanOrEqual(3_000);
    const row = (await outboxRows(t.pool)).find((r) => r.id === down);
    expect(row).toMatchObject({ processed_by: "dead-letter", last_error: "HTTP 503: down" });
    expect(row?.retry_count).toBeGreaterThanOrEqual(3);
    expect(await engine.metrics.registry.getSingleMetricAsString("m10_outbox_dead_lettered_total")).toContain(
      'm10_outbox_dead_lettered_total{event_type="recovery.suggested",reason="outbox_retry_budget_exhausted"} 1',
    );
  });
});
