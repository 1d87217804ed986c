import { metricValue, scrape, testStack, uniqueStreamKeys, waitUntil, type RunningService } from "@m10/devstack/testing";
import { enqueueEvaluations, enqueueWork, streamFields } from "@m10/shared";
import { describe, expect, it } from "vitest";
import { evaluationCounts, failureMix, insertCandidates } from "./support/candidates.js";
import { logger } from "./support/harness.js";
import { useTestEnvironment } from "./support/environment.js";
import { startWorker } from "./support/processes.js";
const t = useTestEnvironment();

describe("end to end: 1,000 queued failures and two worker processes", () => {
  it("evaluates every candidate exactly once, even when it is queued several times", async () => {
    const keys = uniqueStreamKeys();
    const env = { databaseUrl: t.db.url, redisUrl: testStack().redisUrl, keys, extra: { RECOVERY_WORKER_BATCH_SIZE: "50" } };
    // Both workers are up and waiting before anything is queued, so they share the work.
    const workers: RunningService[] = await Promise.all([startWorker(env), startWorker(env)]);
    const ids = await insertCandidates(t.pool, failureMix(1_000));
    // Every candidate on the stream, 300 of them also in the DB fallback queue, 100 on the stream twice.
    await enqueueWork(t.pool, ids.slice(0, 300).map((candidateId) => ({ candidateId })), "db_fallback");
    await enqueueEvaluations({ redis: t.redis, db: t.pool, keys, logger }, ids.map((candidateId) => ({ candidateId })));
    const pipeline = t.redis.pipeline();
    for (const candidateId of ids.slice(500, 600)) pipeline.xadd(keys.stream, "*", ...streamFields({ candidateId }));
    await pipeline.exec();

    try {
      await waitUntil(
        "all candidates evaluated and both queues empty",
        async () => {
          const counts = await evaluationCounts(t.pool, ids);
          const queue = await t.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM m10_recovery.work_queue WHERE processed_at IS NULL");
          return counts.evaluated === 1_000 && (await t.redis.xlen(keys.stream)) === 0 && queue.rows[0]?.n === 0;
        },
        { timeoutMs: 120_000, intervalMs: 250 },
      );
      const counts = await evaluationCounts(t.pool, ids);
      expect(counts).toMatchObject({
        candidates: 1_000,
        evaluated: 1_000,
        leased: 0,
        created: 1_000,
        doubleCreated: 0,
        suggested: 1_000,
        doubleSuggested: 0,
      });
      const pending = (await t.redis.xpending(keys.stream, keys.group)) as [number, ...unknown[]];
      expect(pending[0]).toBe(0);

      const scrapes = await Promise.all(workers.map(scrape));
      const sum = (name: string, labels: Record<string, string>) => scrapes.reduce((total, text) => total + metricValue(text, name, labels), 0);
      expect(sum("recovery_worker_processed_total", { status: "success" })).toBe(1_000);
      for (const text of scrapes) expect(metricValue(text, "recovery_worker_processed_total", { status: "success" })).toBeGreaterThan(0);
      // At least every entry once; an entry whose candidate another worker was evaluating at that
      // moment (its DB queue copy) stays pending and is claimed again later, then acknowledged.
      expect(sum("recovery_worker_claimed_total", { source: "redis_stream" })).toBeGreaterThanOrEqual(1_100);
      expect(sum("recovery_worker_claimed_total", { source: "db_queue" })).toBeGreaterThan(0);
      expect(sum("m10_outbox_published_total", { event_type: "recovery.suggested" })).toBe(1_000);

      const detailed = (await (await fetch(`${workers[0]?.url}/health/detailed`)).json()) as Record<string, Record<string, unknown>>;
      expect(detailed.stream).toMatchObject({ length: 0, pending: 0, groupExists: true, consumers: 2 });
      expect(detailed.db_queue).toMatchObject({ depth: 0 });
    } finally {
      const codes = await Promise.all(workers.map((worker) => worker.stop("SIGTERM")));
      expect(codes).toEqual([0, 0]);
    }
    // A clean shutdown removes the consumers it registered (nothing was pending for them).
    const groups = (await t.redis.call("XINFO", "GROUPS", keys.stream)) as unknown[][];
    expect(groups[0]?.[3]).toBe(0);
  });
});
