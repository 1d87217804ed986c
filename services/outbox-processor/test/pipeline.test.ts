// Pipelined lanes (issue 16): with OUTBOX_MAX_IN_FLIGHT above the batch size, the next batches are
// claimed while the first one is still being delivered; a stop lets started deliveries finish and
// claims nothing more.
import { waitUntil } from "@m10/devstack/testing";
import { describe, expect, it } from "vitest";
import { insertEvents, outboxRows, useOutboxEnvironment, webhookRouting } from "@m10/delivery/testing";
import { testProcessor } from "./support/processor.js";

/** The receiver's answer time: long enough that nothing is answered while the lanes fill up. */
const SLOW_RECEIVER_MS = 10_000;

describe("pipelined lanes", () => {
  const t = useOutboxEnvironment();

  it("claims further batches while the first is delivering, up to max in flight, and claims no more after a stop", async () => {
    t.sink.respond = () => ({ status: 200, delayMs: SLOW_RECEIVER_MS });
    await insertEvents(t.pool, 30, "recovery.suggested");
    // 4 lanes of 5: 20 events in flight at once, although one batch holds 5.
    const processor = testProcessor({ pool: t.pool, routing: webhookRouting(t.sink.url), batchSize: 5, concurrency: 5, maxInFlight: 20 });
    const stop = new AbortController();
    const running = processor.run(stop.signal);

    await waitUntil("20 deliveries in flight", () => t.sink.requests.length === 20, { intervalMs: 20 });
    // None of them has been answered yet: 20 deliveries of 4 batches overlap.
    expect(t.sink.requests.every((request) => request.status === undefined)).toBe(true);
    expect((await outboxRows(t.pool)).filter((row) => row.claimed_by === processor.processorId)).toHaveLength(20);

    stop.abort();
    const totals = await running;
    // The 20 started deliveries finished; no lane claimed the other 10 after the stop.
    expect(totals).toMatchObject({ delivered: 20, failed: 0 });
    expect(t.sink.requests).toHaveLength(20);
    const rows = await outboxRows(t.pool);
    expect(rows.filter((row) => row.processed_at !== null)).toHaveLength(20);
    expect(rows.filter((row) => row.processed_at === null && row.claimed_by === null)).toHaveLength(10);
  });
});
