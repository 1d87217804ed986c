import { waitUntil } from "@m10/devstack/testing";
import { describe, expect, it } from "vitest";
import { drain, insertEvents, outboxRows, useOutboxEnvironment, webhookRouting } from "@m10/delivery/testing";
import { testProcessor } from "./support/processor.js";

describe("concurrent processors", () => {
  const t = useOutboxEnvironment();

  it("delivers 2,000 events through 4 concurrent processors exactly once each", async () => {
    await insertEvents(t.pool, 2000, "recovery.suggested");
    const processors = Array.from({ length: 4 }, () => testProcessor({ pool: t.pool, routing: webhookRouting(t.sink.url), batchSize: 50, concurrency: 10 }));

    await drain(t.pool, processors);

    expect(t.sink.requests).toHaveLength(2000);
    const successes = t.sink.successesByKey();
    expect(successes.size).toBe(2000);
    expect([...successes.values()].every((n) => n === 1)).toBe(true);
    const rows = await outboxRows(t.pool);
    expect(rows.every((r) => r.processed_at !== null && r.retry_count === 0 && r.claimed_by === null)).toBe(true);
    // All four really worked in parallel: each delivered a share.
    const byProcessor = new Map<string, number>();
    for (const r of rows) byProcessor.set(r.processed_by ?? "", (byProcessor.get(r.processed_by ?? "") ?? 0) + 1);
    expect(new Set(byProcessor.keys())).toEqual(new Set(processors.map((p) => p.processorId)));
    for (const p of processors) {
      expect(await p.metrics.registry.getSingleMetricAsString("m10_outbox_processed_total")).toContain(`m10_outbox_processed_total{aggregate_type="test",event_type="recovery.suggested"} ${byProcessor.get(p.processorId)}`);
    }
  });

  it("has one successful effect per key when the receiver fails the first two attempts of every event", async () => {
    t.sink.respond = (request) => (request.attempt <= 2 ? { status: 500, body: "try later" } : { status: 200 });
    await insertEvents(t.pool, 2000, "recovery.suggested");
    const processors = Array.from({ length: 4 }, () =>
      // The circuit breaker would rightly open at 4,000 failures a minute (circuit-breaker.test.ts);
      // this test is about keys under retries, so it is off here.
      testProcessor({
        pool: t.pool,
        routing: webhookRouting(t.sink.url),
        batchSize: 50,
        concurrency: 10,
        settings: { backoff: { baseSeconds: 0, maxSeconds: 0 }, circuit: { errorsPerMinute: 0, openSeconds: 60, minFailureRatio: 0.5 } },
      }),
    );

    await drain(t.pool, processors);

    const successes = t.sink.successesByKey();
    expect(successes.size).toBe(2000);
    expect([...successes.values()].every((n) => n === 1)).toBe(true);
    expect(t.sink.requests).toHaveLength(6000);
    const rows = await outboxRows(t.pool);
    expect(rows.every((r) => r.processed_at !== null && r.retry_count === 2 && r.processed_by !== "dead-letter")).toBe(true);
    expect(rows.every((r) => r.last_error === "HTTP 500: try later")).toBe(true);
  });

  it("pipelined lanes of 4 running processors deliver every version once, each aggregate's in order", async () => {
    // 200 aggregates with 10 versions each: a lane may claim only an aggregate's oldest pending version.
    for (let round = 1; round <= 10; round += 1) await insertEvents(t.pool, 200, "recovery.suggested", () => ({ round }));
    const processors = Array.from({ length: 4 }, () =>
      testProcessor({ pool: t.pool, routing: webhookRouting(t.sink.url), batchSize: 25, concurrency: 10, maxInFlight: 100 }),
    );
    const stop = new AbortController();
    const running = Promise.all(processors.map((p) => p.run(stop.signal)));
    try {
      await waitUntil("all 2,000 events processed", async () => (await outboxRows(t.pool)).every((r) => r.processed_at !== null), { timeoutMs: 120_000 });
    } finally {
      stop.abort();
    }
    const totals = await running;

    const successes = t.sink.successesByKey();
    expect(successes.size).toBe(2000);
    expect([...successes.values()].every((n) => n === 1)).toBe(true);
    expect(totals.reduce((sum, total) => sum + total.delivered, 0)).toBe(2000);
    const versionsByAggregate = new Map<string, number[]>();
    for (const request of t.sink.requests) {
      const envelope = JSON.parse(request.body) as { aggregate_id: string; data: { round: number } };
      versionsByAggregate.set(envelope.aggregate_id, [...(versionsByAggregate.get(envelope.aggregate_id) ?? []), envelope.data.round]);
    }
    expect(versionsByAggregate.size).toBe(200);
    for (const rounds of versionsByAggregate.values()) expect(rounds).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });
});
