import { metricValue, scrape, testStack, uniqueStreamKeys, waitUntil } from "@m10/devstack/testing";
import { enqueueEvaluations } from "@m10/shared";
import { describe, expect, it } from "vitest";
import { evaluationCounts, failureMix, insertCandidates } from "./support/candidates.js";
import { logger } from "./support/harness.js";
import { holdOutboxKeys, workerBackendsWaitingOnLocks } from "./support/lock-holder.js";
import { useTestEnvironment } from "./support/environment.js";
import { startWorker } from "./support/processes.js";
const t = useTestEnvironment();

describe("a worker killed with 50 unacknowledged messages", () => {
  it("loses nothing and doubles nothing: a second worker reclaims them after the idle time and evaluates each once", async () => {
    const keys = uniqueStreamKeys();
    const env = { databaseUrl: t.db.url, redisUrl: testStack().redisUrl, keys };
    const ids = await insertCandidates(t.pool, failureMix(50));
    // The first worker's evaluation transaction will wait on these keys: it holds 50 delivered,
    // unacknowledged messages and 50 evaluation leases when it is killed.
    const lock = await holdOutboxKeys(t.db.url, ids);
    let released = false;
    try {
      await enqueueEvaluations({ redis: t.redis, db: t.pool, keys, logger }, ids.map((candidateId) => ({ candidateId })));
      const first = await startWorker(env);
      await waitUntil("the first worker to hold all 50 messages inside its evaluation transaction", async () => {
        const pending = (await t.redis.xpending(keys.stream, keys.group)) as [number];
        return pending[0] === 50 && (await workerBackendsWaitingOnLocks(t.pool)) > 0;
      });
      const leased = await t.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM recovery_candidates WHERE id = ANY($1) AND evaluation_claimed_by IS NOT NULL", [ids]);
      expect(leased.rows[0]?.n).toBe(50);

      expect(await first.stop("SIGKILL")).toBe("SIGKILL");
      await lock.release();
      released = true;
      expect(await evaluationCounts(t.pool, ids)).toMatchObject({ evaluated: 0, created: 0, suggested: 0 });

      const second = await startWorker(env);
      try {
        await waitUntil(
          "the second worker to evaluate all 50",
          async () => (await evaluationCounts(t.pool, ids)).evaluated === 50 && (await t.redis.xlen(keys.stream)) === 0,
        );
        expect(await evaluationCounts(t.pool, ids)).toMatchObject({
          evaluated: 50,
          leased: 0,
          created: 50,
          doubleCreated: 0,
          suggested: 50,
          doubleSuggested: 0,
        });
        expect(((await t.redis.xpending(keys.stream, keys.group)) as [number])[0]).toBe(0);
        const metrics = await scrape(second);
        // Nothing new was added: all 50 came back through the reclaim of the dead worker's pending entries.
        expect(metricValue(metrics, "recovery_worker_claimed_total", { source: "redis_stream" })).toBe(50);
        expect(metricValue(metrics, "recovery_worker_processed_total", { status: "success", source: "redis_stream" })).toBe(50);
      } finally {
        expect(await second.stop("SIGTERM")).toBe(0);
      }
    } finally {
      if (!released) await lock.release();
    }
  });
});
