import { testStack, uniqueStreamKeys, waitUntil } from "@m10/devstack/testing";
import { createMetrics, createRedisClient, readBacklogGauges, readMatviewFreshness, RedisUnavailableError, type StreamKeys } from "@m10/shared";
import { describe, expect, it } from "vitest";
import { collect } from "../src/collection.js";
import { createGaugeRecorder } from "../src/gauge-recorder.js";
import { gaugeSamples } from "../src/once.js";
import { readDatabaseGauges } from "../src/postgres-source.js";
import { blockedReadersIn, readStreamGauges, type StreamGaugeOptions } from "../src/redis-source.js";
import { useTestEnvironment } from "./support/environment.js";
import { testRedis } from "./support/prepared-state.js";

// An empty database and a Redis client; each Redis test uses stream keys of its own.
const t = useTestEnvironment();

const options = (keys: StreamKeys, overrides: Partial<StreamGaugeOptions> = {}): StreamGaugeOptions => ({
  keys,
  activeWithinMs: 300_000,
  claimIdleMs: 60_000,
  pendingScanLimit: 10_000,
  connectWaitMs: 2_000,
  ...overrides,
});

/** How long (ms) XINFO CONSUMERS says `consumer` of the group has been idle. */
async function consumerIdleMs(keys: StreamKeys, consumer: string): Promise<number> {
  const rows = (await t.redis.xinfo("CONSUMERS", keys.stream, keys.group)) as unknown[][];
  const fields = rows.map((row) => Object.fromEntries(Array.from({ length: row.length / 2 }, (_, i) => [String(row[2 * i]), row[2 * i + 1]])));
  return Number(fields.find((f) => f.name === consumer)?.idle ?? 0);
}

describe("stream gauges (Redis)", () => {
  it("reads a stream, group or dead-letter stream that does not exist yet as empty", async () => {
    const gauges = await readStreamGauges(t.redis, options(uniqueStreamKeys()));
    expect(gauges).toMatchObject({ streamLength: 0, pending: 0, consumersRegistered: 0, consumersActive: 0, reclaimable: 0, deadLetterLength: 0 });
  });

  it("counts only consumers that interacted with the stream within the window", async () => {
    const keys = uniqueStreamKeys();
    await t.redis.xadd(keys.stream, "*", "candidate_id", "1");
    await t.redis.xadd(keys.stream, "*", "candidate_id", "2");
    await t.redis.xgroup("CREATE", keys.stream, keys.group, "0");
    await t.redis.xreadgroup("GROUP", keys.group, "gone-worker", "COUNT", 1, "STREAMS", keys.stream, ">");
    await waitUntil("gone-worker idle for longer than the 1 s window", async () => (await consumerIdleMs(keys, "gone-worker")) > 1_000);
    await t.redis.xreadgroup("GROUP", keys.group, "live-worker", "COUNT", 1, "STREAMS", keys.stream, ">");

    const gauges = await readStreamGauges(t.redis, options(keys, { activeWithinMs: 1_000 }));
    expect(gauges.consumersRegistered).toBe(2);
    expect(gauges.consumersActive).toBe(1);
    expect(gauges.pending).toBe(2);
    await t.redis.del(keys.stream);
  });

  it("counts a worker blocked in XREADGROUP on an empty stream as an active consumer", async () => {
    const keys = uniqueStreamKeys();
    await t.redis.xgroup("CREATE", keys.stream, keys.group, "0", "MKSTREAM");
    const blocking = createRedisClient(testStack().redisUrl, { enableOfflineQueue: true });
    blocking.on("error", () => undefined);
    const read = blocking.xreadgroup("GROUP", keys.group, "idle-worker", "COUNT", 1, "BLOCK", 5_000, "STREAMS", keys.stream, ">");
    try {
      await waitUntil("the reader blocked in XREADGROUP", async () => /flags=b .*cmd=xreadgroup/.test(String(await t.redis.client("LIST"))), { intervalMs: 20 });
      const gauges = await readStreamGauges(t.redis, options(keys));
      expect(gauges.blockedReaders).toBeGreaterThanOrEqual(1);
      expect(gauges.consumersActive).toBe(1);
    } finally {
      await t.redis.xadd(keys.stream, "*", "candidate_id", "1");
      await read;
      blocking.disconnect();
      await t.redis.del(keys.stream);
    }
  });

  it("counts pending entries idle past M10_CLAIM_IDLE_MS as reclaimable, up to the scan limit", async () => {
    const keys = uniqueStreamKeys();
    for (let i = 0; i < 4; i += 1) await t.redis.xadd(keys.stream, "*", "candidate_id", String(i));
    await t.redis.xgroup("CREATE", keys.stream, keys.group, "0");
    const read = (await t.redis.xreadgroup("GROUP", keys.group, "w", "COUNT", 3, "STREAMS", keys.stream, ">")) as [string, [string, string[]][]][];
    const ids = (read[0]?.[1] ?? []).map(([id]) => id);
    await t.redis.call("XCLAIM", keys.stream, keys.group, "w", "0", ...ids, "IDLE", "90000");
    await t.redis.xreadgroup("GROUP", keys.group, "w", "COUNT", 1, "STREAMS", keys.stream, ">");

    expect(await readStreamGauges(t.redis, options(keys))).toMatchObject({ pending: 4, reclaimable: 3, reclaimableCapped: false });
    expect(await readStreamGauges(t.redis, options(keys, { pendingScanLimit: 2 }))).toMatchObject({ reclaimable: 2, reclaimableCapped: true });
    expect(await readStreamGauges(t.redis, options(keys, { claimIdleMs: 120_000 }))).toMatchObject({ reclaimable: 0 });
    await t.redis.del(keys.stream);
  });

  it("fails with RedisUnavailableError when Redis cannot be reached in time", async () => {
    const unreachable = testRedis("redis://127.0.0.1:1/0");
    try {
      await expect(readStreamGauges(unreachable, options(uniqueStreamKeys(), { connectWaitMs: 300 }))).rejects.toBeInstanceOf(RedisUnavailableError);
    } finally {
      unreachable.disconnect();
    }
  });

  it("reads blocked XREADGROUP connections of one database from CLIENT LIST", () => {
    const list = [
      "id=4 addr=127.0.0.1:1 fd=8 name= age=1 idle=1 flags=b db=0 cmd=xreadgroup user=default",
      "id=5 addr=127.0.0.1:2 fd=9 name= age=1 idle=1 flags=b db=1 cmd=xreadgroup user=default",
      "id=6 addr=127.0.0.1:3 fd=10 name= age=1 idle=1 flags=N db=0 cmd=xreadgroup user=default",
      "id=7 addr=127.0.0.1:4 fd=11 name= age=1 idle=1 flags=b db=0 cmd=blpop user=default",
      "",
    ].join("\n");
    expect(blockedReadersIn(list, 0)).toBe(1);
    expect(blockedReadersIn(list, 1)).toBe(1);
  });
});

describe("database gauges (PostgreSQL)", () => {
  it("reads an empty schema as zero backlog and no outbox lag", async () => {
    expect(await readBacklogGauges(t.pool)).toEqual({
      dbQueueDepth: 0,
      dbQueueStalled: 0,
      candidatesPending: 0,
      candidatesUnevaluated: 0,
      outboxPending: 0,
      outboxLagSeconds: 0,
      deadLetterArchiveRows: 0,
      replayLogRows: 0,
    });
  });

  it("reports a materialized view that was never refreshed as infinitely stale, and fresh after refresh_mv_tracked", async () => {
    expect(await readMatviewFreshness(t.pool)).toEqual([{ viewName: "mv_top_pending", lastSuccessAt: null, ageSeconds: null }]);
    const { metrics, registry } = createMetrics("metrics-collector", { defaultMetrics: false });
    const recorder = createGaugeRecorder(metrics);
    const collectWith = () => collect({ postgres: () => readDatabaseGauges(t.pool), redis: () => Promise.reject(new Error("not under test")) });

    recorder.record(await collectWith());
    let samples = await gaugeSamples(registry);
    expect(samples['recovery_matview_age_seconds{view_name="mv_top_pending"}']).toBe("+Inf");
    expect(samples.m10_matview_age_seconds).toBe("+Inf");
    expect(samples['recovery_matview_last_refresh_timestamp{view_name="mv_top_pending"}']).toBeUndefined();

    const refreshed = await t.pool.query<{ success: boolean }>("SELECT * FROM m10_recovery.refresh_mv_tracked('mv_top_pending')");
    expect(refreshed.rows[0]?.success).toBe(true);
    recorder.record(await collectWith());
    samples = await gaugeSamples(registry);
    expect(samples['recovery_matview_age_seconds{view_name="mv_top_pending"}']).toBeLessThan(60);
    expect(samples['recovery_matview_last_refresh_timestamp{view_name="mv_top_pending"}']).toBeGreaterThan(Date.now() / 1000 - 60);
  });
});
