import { randomBytes } from "node:crypto";
import { createTestDatabase, privateServer, testStack, type TestDatabase } from "@m10/devstack/testing";
import { createRedisClient, type Pool, type RedisClient } from "@m10/shared";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createHttpSink, type HttpSink } from "./support/http-sink.js";
import { insertEvents, outboxRows, testPool, testProcessor } from "./support/outbox.js";
import type { Processor } from "../src/processor.js";

/** Runs processors until `enough()` or the deadline; returns when all loops stopped. */
async function runUntil(processors: Processor[], enough: () => boolean, timeoutMs: number): Promise<void> {
  const stop = new AbortController();
  const deadline = setTimeout(() => stop.abort(), timeoutMs);
  const watcher = setInterval(() => enough() && stop.abort(), 50);
  try {
    await Promise.all(processors.map((p) => p.run(stop.signal)));
  } finally {
    clearTimeout(deadline);
    clearInterval(watcher);
  }
}

describe("per-target throttle", () => {
  let db: TestDatabase;
  let pool: Pool;
  let sink: HttpSink;
  let redis: RedisClient;
  // A target name of its own, so no throttle window of another test is shared.
  const target = `sink-${randomBytes(4).toString("hex")}`;

  beforeEach(async () => {
    db = await createTestDatabase();
    pool = testPool(db.url);
    sink = await createHttpSink();
    redis = createRedisClient(testStack().redisUrl);
  });
  afterEach(async () => {
    redis.disconnect();
    await sink.close();
    await pool.end();
    await db.drop();
  });

  // The issue asks for 120 rpm over two minutes; 600 rpm over one minute checks the same
  // property (two processors share one Redis budget) in half the time.
  it("holds two processors sharing a 600 rpm webhook throttle within 10% of the limit over 60 s", async () => {
    await insertEvents(pool, 720, "recovery.suggested");
    const routing = { targets: { [target]: { type: "webhook" as const, url: sink.url, rpm: 600 } }, routes: { "*": [target] } };
    const processors = [1, 2].map(() => testProcessor({ pool, routing, redis, batchSize: 20, concurrency: 10 }));

    await runUntil(processors, () => sink.requests.length > 0 && Date.now() - (sink.requests[0]?.at ?? 0) > 61_000, 75_000);

    const first = sink.requests[0]?.at ?? 0;
    const inWindow = sink.requests.filter((r) => r.at - first < 60_000).length;
    expect(inWindow).toBeGreaterThanOrEqual(540);
    expect(inWindow).toBeLessThanOrEqual(660);
    // Never more than one window's budget (10) in any second, measured from the sink.
    const perSecond = new Map<number, number>();
    for (const r of sink.requests) perSecond.set(Math.floor((r.at - first) / 1000), (perSecond.get(Math.floor((r.at - first) / 1000)) ?? 0) + 1);
    expect(Math.max(...perSecond.values())).toBeLessThanOrEqual(20);
    // Both processors delivered, and nothing was delivered twice.
    const byProcessor = new Set((await outboxRows(pool)).filter((r) => r.processed_at).map((r) => r.processed_by));
    expect(byProcessor.size).toBe(2);
    expect([...sink.successesByKey().values()].every((n) => n === 1)).toBe(true);
    expect(await processors[0]?.metrics.registry.getSingleMetricAsString("m10_outbox_throttle_waits_total")).toMatch(new RegExp(`target="${target}"} [1-9]`));
  }, 90_000);

  it("keeps throttling in memory while Redis is down", async () => {
    const privateRedis = await privateServer("redis");
    const client = createRedisClient(privateRedis.url);
    try {
      await privateRedis.stop();
      await insertEvents(pool, 6, "recovery.suggested");
      const processor = testProcessor({
        pool,
        routing: { targets: { [target]: { type: "webhook", url: sink.url, rpm: 120 } }, routes: { "*": [target] } },
        redis: client,
        batchSize: 6,
        concurrency: 6,
      });

      expect(await processor.runOnce()).toMatchObject({ delivered: 6 });

      // 120 rpm = 2 per second: six deliveries span at least two full windows.
      const times = sink.requests.map((r) => r.at);
      expect(Math.max(...times) - Math.min(...times)).toBeGreaterThanOrEqual(1_900);
    } finally {
      client.disconnect();
      await privateRedis.stop();
    }
  });

  it("releases an event unattempted when its throttle wait would exceed the bound", async () => {
    await insertEvents(pool, 3, "recovery.suggested");
    const processor = testProcessor({
      pool,
      routing: { targets: { [target]: { type: "webhook", url: sink.url, rpm: 1 } }, routes: { "*": [target] } },
      redis,
      settings: { throttleMaxWaitMs: 500 },
    });

    expect(await processor.runOnce()).toMatchObject({ claimed: 3, delivered: 1, released: 2, failed: 0 });

    const rows = await outboxRows(pool);
    expect(rows.filter((r) => r.processed_at === null)).toHaveLength(2);
    expect(rows.every((r) => r.retry_count === 0 && r.last_error === null && r.claimed_by === null)).toBe(true);
    expect(sink.requests).toHaveLength(1);
  });
});
