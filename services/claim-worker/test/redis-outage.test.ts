import { createTestDatabase, privateServer, type TestDatabase } from "@m10/devstack/testing";
import type { DevServer } from "@m10/devstack";
import { type Pool, enqueueEvaluations, createRedisClient, type RedisClient } from "@m10/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { evaluationCounts, failureMix, insertCandidates } from "./support/candidates.js";
import { eventually, logger, metricValue, redisReady, testPool, uniqueKeys } from "./support/harness.js";
import { scrape, startWorker } from "./support/processes.js";

let db: TestDatabase;
let pool: Pool;
let server: DevServer;
let redis: RedisClient;

beforeAll(async () => {
  db = await createTestDatabase();
  pool = testPool(db.url);
  server = await privateServer("redis");
  redis = createRedisClient(server.url);
  redis.on("error", () => undefined);
  await redisReady(redis);
});
afterAll(async () => {
  redis.disconnect();
  await server.stop();
  await pool.end();
  await db.drop();
});

async function ready(url: string): Promise<{ status: string; checks: Record<string, string> }> {
  return (await (await fetch(`${url}/ready`)).json()) as { status: string; checks: Record<string, string> };
}

describe("Redis outage", () => {
  it("keeps evaluating from work_queue while Redis is down, then reconnects and resumes the stream by itself", async () => {
    const keys = uniqueKeys();
    const enqueue = (ids: number[]) => enqueueEvaluations({ redis, db: pool, keys, maxLen: 1_000, logger }, ids.map((candidateId) => ({ candidateId })));
    const worker = await startWorker({ databaseUrl: db.url, redisUrl: server.url, keys });
    try {
      const before = await insertCandidates(pool, failureMix(20));
      expect((await enqueue(before)).every((r) => r.method === "redis_stream")).toBe(true);
      await eventually("the stream batch evaluated", async () => (await evaluationCounts(pool, before)).evaluated === 20);

      await server.stop();
      await eventually("the worker to report Redis down", async () => (await ready(worker.url)).checks.redis === "down");
      expect((await ready(worker.url)).status).toBe("degraded");
      const during = await insertCandidates(pool, failureMix(30));
      // What ingest does while Redis is down: the DB fallback queue.
      expect((await enqueue(during)).every((r) => r.method === "db_fallback")).toBe(true);
      await eventually("the work_queue drained while Redis is down", async () => (await evaluationCounts(pool, during)).evaluated === 30);

      // Redis comes back empty (no persistence): the stream and the group are gone.
      await server.start();
      await redisReady(redis);
      const after = await insertCandidates(pool, failureMix(25));
      expect((await enqueue(after)).every((r) => r.method === "redis_stream")).toBe(true);
      await eventually("the stream consumed again without a restart", async () => (await evaluationCounts(pool, after)).evaluated === 25, 30_000);
      await eventually("the worker to report Redis up", async () => (await ready(worker.url)).status === "ok");

      const all = [...before, ...during, ...after];
      expect(await evaluationCounts(pool, all)).toMatchObject({ evaluated: 75, created: 75, doubleCreated: 0, suggested: 75, doubleSuggested: 0 });
      expect(await redis.xlen(keys.stream)).toBe(0);
      const metrics = await scrape(worker);
      expect(metricValue(metrics, "recovery_worker_processed_total", { status: "success", source: "db_queue" })).toBe(30);
      expect(metricValue(metrics, "recovery_worker_processed_total", { status: "success", source: "redis_stream" })).toBe(45);
      expect(worker.output()).toContain("dependency.unavailable");
      expect(worker.output()).toContain("dependency.recovered");
    } finally {
      expect(await worker.stop("SIGTERM")).toBe(0);
    }
  });
});
