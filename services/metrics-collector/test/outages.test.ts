import { execFile } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createTestDatabase, privateServer, startService, testStack, uniqueStreamKeys, valueOf, type RunningService } from "@m10/devstack/testing";
import { describe, expect, it } from "vitest";
import { COLLECTOR_BIN, collectorEnv } from "./support/environment.js";
import { DATABASE_EXPECTED, prepareDatabase, prepareStream, STREAM_EXPECTED, testPool, testRedis } from "./support/prepared-state.js";
import { scrapeUntil } from "./support/scrape.js";
const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const run = promisify(execFile);

const STREAM_GAUGES = ["recovery_stream_length", "recovery_stream_pending", "recovery_stream_consumers", "recovery_dead_letter_length", "m10_consumer_count", "m10_reclaim_count"];

describe("m10-metrics-collector when a dependency goes away", () => {
  it("keeps updating the database gauges while Redis is down, reports redis down, and reconnects", async () => {
    const db = await createTestDatabase();
    const pool = testPool(db.url);
    const redisServer = await privateServer("redis");
    const redis = testRedis(redisServer.url);
    const keys = uniqueStreamKeys();
    let service: RunningService | undefined;
    try {
      await prepareDatabase(pool);
      await prepareStream(redis, keys);
      service = await startService(COLLECTOR_BIN, collectorEnv(db.url, redisServer.url, keys));
      await scrapeUntil(service.url, (e) => valueOf(e, "recovery_stream_length") === STREAM_EXPECTED.recovery_stream_length);

      await redisServer.stop();
      await pool.query("INSERT INTO m10_recovery.work_queue (candidate_id) VALUES (201), (202)");
      const down = await scrapeUntil(
        service.url,
        (e) => valueOf(e, "m10_dependency_up", { dependency: "redis" }) === 0 && valueOf(e, "recovery_db_queue_depth") === 5,
        { since: Date.now() / 1000 },
      );
      for (const name of STREAM_GAUGES) expect(valueOf(down, name), name).toBe(0);
      expect(valueOf(down, "m10_queue_depth")).toBe(5);
      expect(valueOf(down, "m10_dependency_up", { dependency: "postgres" })).toBe(1);
      expect(valueOf(down, "recovery_candidates_pending")).toBe(DATABASE_EXPECTED.recovery_candidates_pending);
      expect(valueOf(down, "m10_collection_errors_total", { source: "redis" })).toBeGreaterThanOrEqual(1);
      expect(valueOf(down, "m10_collection_errors_total", { source: "postgres" })).toBe(0);
      const ready = await fetch(`${service.url}/ready`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ status: "degraded", checks: { redis: "down", postgres: "ok" } });

      // The private Redis keeps nothing across a restart: the collector must read the new state.
      await redisServer.start();
      await redis.xadd(keys.stream, "*", "candidate_id", "301");
      const back = await scrapeUntil(
        service.url,
        (e) => valueOf(e, "m10_dependency_up", { dependency: "redis" }) === 1 && valueOf(e, "recovery_stream_length") === 1,
        { since: Date.now() / 1000 },
      );
      expect(valueOf(back, "m10_queue_depth")).toBe(6);
      expect(await service.stop("SIGTERM")).toBe(0);
      // One warning for the outage and one note for the recovery, not one per pass.
      expect(service.output().match(/dependency\.unavailable/g)).toHaveLength(1);
      expect(service.output()).toContain("dependency.recovered");
    } finally {
      await service?.stop("SIGKILL");
      redis.disconnect();
      await redisServer.stop();
      await pool.end();
      await db.drop();
    }
  });

  it("keeps the last database values and updates the stream gauges while PostgreSQL is down, and reconnects", async () => {
    const postgres = await privateServer("postgres");
    const redis = testRedis(testStack().redisUrl);
    const keys = uniqueStreamKeys();
    const pool = testPool(postgres.url);
    let service: RunningService | undefined;
    try {
      await run(process.execPath, [join(REPO_ROOT, "migrations/bin/m10-migrate.js"), "up"], { env: { ...process.env, DATABASE_URL: postgres.url } });
      await prepareDatabase(pool);
      await prepareStream(redis, keys);
      service = await startService(COLLECTOR_BIN, collectorEnv(postgres.url, testStack().redisUrl, keys));
      await scrapeUntil(service.url, (e) => valueOf(e, "m10_dependency_up", { dependency: "postgres" }) === 1);

      await postgres.stop();
      await redis.xadd(keys.stream, "*", "candidate_id", "401");
      const down = await scrapeUntil(
        service.url,
        (e) => valueOf(e, "m10_dependency_up", { dependency: "postgres" }) === 0 && valueOf(e, "recovery_stream_length") === 6,
        { since: Date.now() / 1000 },
      );
      for (const [name, value] of Object.entries(DATABASE_EXPECTED)) expect(valueOf(down, name), name).toBe(value);
      expect(valueOf(down, "m10_queue_depth")).toBe(6 + DATABASE_EXPECTED.recovery_db_queue_depth);
      expect(valueOf(down, "m10_dependency_up", { dependency: "redis" })).toBe(1);
      expect(valueOf(down, "m10_collection_errors_total", { source: "postgres" })).toBeGreaterThanOrEqual(1);

      await postgres.start();
      await pool.query("INSERT INTO m10_recovery.work_queue (candidate_id) VALUES (501)");
      const back = await scrapeUntil(
        service.url,
        (e) => valueOf(e, "m10_dependency_up", { dependency: "postgres" }) === 1 && valueOf(e, "recovery_db_queue_depth") === 4,
        { since: Date.now() / 1000 },
      );
      expect(valueOf(back, "m10_queue_depth")).toBe(6 + 4);
      expect(await service.stop("SIGTERM")).toBe(0);
    } finally {
      await service?.stop("SIGKILL");
      await redis.del(keys.stream, keys.deadLetter);
      redis.disconnect();
      await pool.end().catch(() => undefined);
      await postgres.stop();
    }
  });
});
