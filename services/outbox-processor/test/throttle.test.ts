import { randomBytes } from "node:crypto";
import { privateServer, waitUntil } from "@m10/devstack/testing";
import { createRedisClient } from "@m10/shared";
import { describe, expect, it } from "vitest";
import { insertEvents, outboxRows, useOutboxEnvironment } from "@m10/delivery/testing";
import { testProcessor } from "./support/processor.js";
import type { Processor } from "../src/processor.js";

/** Runs processors until `enough()` holds (an error if it does not within `timeoutMs`); returns when all loops stopped. */
async function runUntil(processors: Processor[], what: string, enough: () => boolean, timeoutMs: number): Promise<void> {
  const stop = new AbortController();
  const running = Promise.all(processors.map((p) => p.run(stop.signal)));
  running.catch(() => undefined); // awaited below; a loop that fails early must not go unhandled meanwhile
  try {
    await waitUntil(what, enough, { timeoutMs, intervalMs: 50 });
  } finally {
    stop.abort();
    await running;
  }
}

describe("per-target throttle", () => {
  const t = useOutboxEnvironment({ redis: true });
  // A target name of its own, so no throttle window of another test is shared.
  const target = `sink-${randomBytes(4).toString("hex")}`;

  // The case is 120 rpm over two minutes; the suite runs 600 rpm over one minute, which
  // checks the same property (two processors share one Redis budget) in half the time. Run the
  // issue's exact case with M10_THROTTLE_TEST_RPM=120 M10_THROTTLE_TEST_SECONDS=120.
  const rpm = Number(process.env.M10_THROTTLE_TEST_RPM ?? 600);
  const seconds = Number(process.env.M10_THROTTLE_TEST_SECONDS ?? 60);
  it(`holds two processors sharing a ${rpm} rpm webhook throttle within 10% of the limit over ${seconds} s`, async () => {
    const expected = (rpm * seconds) / 60;
    await insertEvents(t.pool, Math.ceil(expected * 1.2), "recovery.suggested");
    const routing = { targets: { [target]: { type: "webhook" as const, url: t.sink.url, rpm } }, routes: { "*": [target] } };
    const processors = [1, 2].map(() => testProcessor({ pool: t.pool, routing, redis: t.redis, batchSize: 20, concurrency: 10 }));

    const windowMs = seconds * 1000;
    await runUntil(
      processors,
      `a second past the ${seconds} s window after the first delivery`,
      () => t.sink.requests.length > 0 && Date.now() - (t.sink.requests[0]?.at ?? 0) > windowMs + 1_000,
      windowMs + 15_000,
    );

    const first = t.sink.requests[0]?.at ?? 0;
    const inWindow = t.sink.requests.filter((r) => r.at - first < windowMs).length;
    expect(inWindow).toBeGreaterThanOrEqual(expected * 0.9);
    expect(inWindow).toBeLessThanOrEqual(expected * 1.1);
    // Never much more than the per-second budget in any second, measured from the sink.
    const perSecond = new Map<number, number>();
    for (const r of t.sink.requests) perSecond.set(Math.floor((r.at - first) / 1000), (perSecond.get(Math.floor((r.at - first) / 1000)) ?? 0) + 1);
    expect(Math.max(...perSecond.values())).toBeLessThanOrEqual(Math.max(4, (2 * rpm) / 60));
    // Both processors delivered, and nothing was delivered twice.
    const byProcessor = new Set((await outboxRows(t.pool)).filter((r) => r.processed_at).map((r) => r.processed_by));
    expect(byProcessor.size).toBe(2);
    expect([...t.sink.successesByKey().values()].every((n) => n === 1)).toBe(true);
    expect(await processors[0]?.metrics.registry.getSingleMetricAsString("m10_outbox_throttle_waits_total")).toMatch(new RegExp(`target="${target}"} [1-9]`));
  }, (seconds + 30) * 1000);

  it("keeps throttling in memory while Redis is down", async () => {
    const privateRedis = await privateServer("redis");
    const client = createRedisClient(privateRedis.url);
    try {
      await privateRedis.stop();
      await insertEvents(t.pool, 6, "recovery.suggested");
      const processor = testProcessor({
        pool: t.pool,
        routing: { targets: { [target]: { type: "webhook", url: t.sink.url, rpm: 120 } }, routes: { "*": [target] } },
        redis: client,
        batchSize: 6,
        concurrency: 6,
      });

      expect(await processor.runOnce()).toMatchObject({ delivered: 6 });

      // 120 rpm = 2 per second: six deliveries span at least two full windows.
      const times = t.sink.requests.map((r) => r.at);
      expect(Math.max(...times) - Math.min(...times)).toBeGreaterThanOrEqual(1_900);
    } finally {
      client.disconnect();
      await privateRedis.stop();
    }
  });

  it("releases an event unattempted when its throttle wait would exceed the bound", async () => {
    await insertEvents(t.pool, 3, "recovery.suggested");
    const processor = testProcessor({
      pool: t.pool,
      routing: { targets: { [target]: { type: "webhook", url: t.sink.url, rpm: 1 } }, routes: { "*": [target] } },
      redis: t.redis,
      settings: { throttleMaxWaitMs: 500 },
    });

    expect(await processor.runOnce()).toMatchObject({ claimed: 3, delivered: 1, released: 2, failed: 0 });

    const rows = await outboxRows(t.pool);
    expect(rows.filter((r) => r.processed_at === null)).toHaveLength(2);
    expect(rows.every((r) => r.retry_count === 0 && r.last_error === null && r.claimed_by === null)).toBe(true);
    expect(t.sink.requests).toHaveLength(1);
  });
});
