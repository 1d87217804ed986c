import { metricValue, scrape, uniqueStreamKeys, waitUntil } from "@m10/devstack/testing";
import { enqueueEvaluations } from "@m10/shared";
import { describe, expect, it } from "vitest";
import { evaluationCounts, failureMix, insertCandidates } from "./support/candidates.js";
import { useTestEnvironment } from "./support/environment.js";
import { logger, redisReady } from "./support/harness.js";
import { startWorker } from "./support/processes.js";

const t = useTestEnvironment({ privateRedis: true });

async function ready(url: string): Promise<{ status: string; checks: Record<string, string> }> {
  return (await (await fetch(`${url}/ready`)).json()) as { status: string; checks: Record<string, string> };
}

/** The claim worker's /health/detailed: what the Phase 7 runbook's Redis drill reads before and after. */
async function detailed(url: string): Promise<{ consumer_lag_seconds: number | null; stream: Record<string, unknown> }> {
  return (await (await fetch(`${url}/health/detailed`)).json()) as { consumer_lag_seconds: number | null; stream: Record<string, unknown> };
}

describe("Redis outage", () => {
  it("keeps evaluating from work_queue while Redis is down, then reconnects and resumes the stream by itself", async () => {
    const keys = uniqueStreamKeys();
    const enqueue = (ids: number[]) => enqueueEvaluations({ redis: t.redis, db: t.pool, keys, logger }, ids.map((candidateId) => ({ candidateId })));
    const worker = await startWorker({ databaseUrl: t.db.url, redisUrl: t.redisServer.url, keys });
    try {
      const before = await insertCandidates(t.pool, failureMix(20));
      expect((await enqueue(before)).every((r) => r.method === "redis_stream")).toBe(true);
      await waitUntil("the stream batch evaluated", async () => (await evaluationCounts(t.pool, before)).evaluated === 20);
      // The drill's "before": the stream readable, nothing outstanding.
      await waitUntil("no consumer lag before the drill", async () => (await detailed(worker.url)).consumer_lag_seconds === 0);

      await t.redisServer.stop();
      await waitUntil("the worker to report Redis down", async () => (await ready(worker.url)).checks.redis === "down");
      await waitUntil("/health/detailed shows the stream unreadable", async () => (await detailed(worker.url)).consumer_lag_seconds === null);
      expect((await detailed(worker.url)).stream.error).toEqual(expect.any(String));
      expect((await ready(worker.url)).status).toBe("degraded");
      const during = await insertCandidates(t.pool, failureMix(30));
      // What ingest does while Redis is down: the DB fallback queue.
      expect((await enqueue(during)).every((r) => r.method === "db_fallback")).toBe(true);
      await waitUntil("the work_queue drained while Redis is down", async () => (await evaluationCounts(t.pool, during)).evaluated === 30);

      // Redis comes back empty (no persistence): the stream and the group are gone.
      await t.redisServer.start();
      await redisReady(t.redis);
      const after = await insertCandidates(t.pool, failureMix(25));
      expect((await enqueue(after)).every((r) => r.method === "redis_stream")).toBe(true);
      await waitUntil("the stream consumed again without a restart", async () => (await evaluationCounts(t.pool, after)).evaluated === 25);
      await waitUntil("the worker to report Redis up", async () => (await ready(worker.url)).status === "ok");
      // The drill's "after": the stream readable again, the backlog worked off.
      await waitUntil("/health/detailed recovered", async () => (await detailed(worker.url)).consumer_lag_seconds === 0);
      expect((await detailed(worker.url)).stream).toMatchObject({ groupExists: true, length: 0, pending: 0 });

      const all = [...before, ...during, ...after];
      expect(await evaluationCounts(t.pool, all)).toMatchObject({ evaluated: 75, created: 75, doubleCreated: 0, suggested: 75, doubleSuggested: 0 });
      expect(await t.redis.xlen(keys.stream)).toBe(0);
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
