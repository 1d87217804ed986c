import { setTimeout as sleep } from "node:timers/promises";
import { createTestDatabase, testStack, type TestDatabase } from "@m10/devstack/testing";
import { createMetrics, duplicateForBlocking, type Pool, type RedisClient, type StreamKeys, readBacklogGauges, readMatviewFreshness, RedisUnavailableError } from "@m10/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collect } from "../src/collection.js";
import { createGaugeRecorder } from "../src/gauge-recorder.js";
import { gaugeSamples } from "../src/once.js";
import { readDatabaseGauges } from "../src/postgres-source.js";
import { blockedReadersIn, readStreamGauges, type StreamGaugeOptions } from "../src/redis-source.js";
import { testPool, testRedis, uniqueKeys } from "./support/prepared-state.js";

const options = (keys: StreamKeys, overrides: Partial<StreamGaugeOptions> = {}): StreamGaugeOptions => ({
  keys,
  activeWithinMs: 300_000,
  claimIdleMs: 60_000,
  pendingScanLimit: 10_000,
  connectWaitMs: 2_000,
  ...overrides,
});

describe("stream gauges (Redis)", () => {
  let redis: RedisClient;
  beforeAll(async () => {
    redis = testRedis(testStack().redisUrl);
    await redis.ping();
  });
  afterAll(() => redis.disconnect());

  it("reads a stream, group or dead-letter stream that does not exist yet as empty", async () => {
    const gauges = await readStreamGauges(redis, options(uniqueKeys()));
    expect(gauges).toMatchObject({ streamLength: 0, pending: 0, consumersRegistered: 0, consumersActive: 0, reclaimable: 0, deadLetterLength: 0 });
  });

  it("counts only consumers that interacted with the stream within the window", async () => {
    const keys = uniqueKeys();
    await redis.xadd(keys.stream, "*", "candidate_id", "1");
    await redis.xadd(keys.stream, "*", "candidate_id", "2");
    await redis.xgroup("CREATE", keys.stream, keys.group, "0");
    await redis.xreadgroup("GROUP", keys.group, "gone-worker", "COUNT", 1, "STREAMS", keys.stream, ">");
    await sleep(1_500);
    await redis.xreadgroup("GROUP", keys.group, "live-worker", "COUNT", 1, "STREAMS", keys.stream, ">");

    const gauges = await readStreamGauges(redis, options(keys, { activeWithinMs: 1_000 }));
    expect(gauges.consumersRegistered).toBe(2);
    expect(gauges.consumersActive).toBe(1);
    expect(gauges.pending).toBe(2);
    await redis.del(keys.stream);
  });

  it("counts a worker blocked in XREADGROUP on an empty stream as an active consumer", async () => {
    const keys = uniqueKeys();
    await redis.xgroup("CREATE", keys.stream, keys.group, "0", "MKSTREAM");
    const blocking = duplicateForBlocking(redis);
    blocking.on("error", () => undefined);
    const read = blocking.xreadgroup("GROUP", keys.group, "idle-worker", "COUNT", 1, "BLOCK", 5_000, "STREAMS", keys.stream, ">");
    try {
      await sleep(300);
      const gauges = await readStreamGauges(redis, options(keys));
      expect(gauges.blockedReaders).toBeGreaterThanOrEqual(1);
      expect(gauges.consumersActive).toBe(1);
    } finally {
      await redis.xadd(keys.stream, "*", "candidate_id", "1");
      await read;
      blocking.disconnect();
      await redis.del(keys.stream);
    }
  });

  it("counts pending entries idle past M10_CLAIM_IDLE_MS as reclaimable, up to the scan limit", async () => {
    const keys = uniqueKeys();
    for (let i = 0; i < 4; i += 1) await redis.xadd(keys.stream, "*", "candidate_id", String(i));
    await redis.xgroup("CREATE", keys.stream, keys.group, "0");
    const read = (await redis.xreadgroup("GROUP", keys.group, "w", "COUNT", 3, "STREAMS", keys.stream, ">")) as [string, [string, string[]][]][];
    const ids = (read[0]?.[1] ?? []).map(([id]) => id);
    await redis.xclaim(keys.stream, keys.group, "w", 0, ...ids, "IDLE", 90_000);
    await redis.xreadgroup("GROUP", keys.group, "w", "COUNT", 1, "STREAMS", keys.stream, ">");

    expect(await readStreamGauges(redis, options(keys))).toMatchObject({ pending: 4, reclaimable: 3, reclaimableCapped: false });
    expect(await readStreamGauges(redis, options(keys, { pendingScanLimit: 2 }))).toMatchObject({ reclaimable: 2, reclaimableCapped: true });
    expect(await readStreamGauges(redis, options(keys, { claimIdleMs: 120_000 }))).toMatchObject({ reclaimable: 0 });
    await redis.del(keys.stream);
  });

  it("fails with RedisUnavailableError when Redis cannot be reached in time", async () => {
    const unreachable = testRedis("redis://127.0.0.1:1/0");
    try {
      await expect(readStreamGauges(unreachable, options(uniqueKeys(), { connectWaitMs: 300 }))).rejects.toBeInstanceOf(RedisUnavailableError);
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
  let db: TestDatabase;
  let pool: Pool;
  beforeAll(async () => {
    db = await createTestDatabase();
    pool = testPool(db.url);
  });
  afterAll(async () => {
    await pool.end();
    await db.drop();
  });

  it("reads an empty schema as zero backlog and no outbox lag", async () => {
    expect(await readBacklogGauges(pool)).toEqual({
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
    expect(await readMatviewFreshness(pool)).toEqual([{ viewName: "mv_top_pending", lastSuccessAt: null, ageSeconds: null }]);
    const { metrics, registry } = createMetrics("metrics-collector", { defaultMetrics: false });
    const recorder = createGaugeRecorder(metrics);
    const collectWith = () => collect({ postgres: () => readDatabaseGauges(pool), redis: () => Promise.reject(new Error("not under test")) });

    recorder.record(await collectWith());
    let samples = await gaugeSamples(registry);
    expect(samples['recovery_matview_age_seconds{view_name="mv_top_pending"}']).toBe("+Inf");
    expect(samples.m10_matview_age_seconds).toBe("+Inf");
    expect(samples['recovery_matview_last_refresh_timestamp{view_name="mv_top_pending"}']).toBeUndefined();

    const refreshed = await pool.query<{ success: boolean }>("SELECT * FROM m10_recovery.refresh_mv_tracked('mv_top_pending')");
    expect(refreshed.rows[0]?.success).toBe(true);
    recorder.record(await collectWith());
    samples = await gaugeSamples(registry);
    expect(samples['recovery_matview_age_seconds{view_name="mv_top_pending"}']).toBeLessThan(60);
    expect(samples['recovery_matview_last_refresh_timestamp{view_name="mv_top_pending"}']).toBeGreaterThan(Date.now() / 1000 - 60);
  });
});
