import { testStack, uniqueStreamKeys, waitUntil } from "@m10/devstack/testing";
import { enqueueEvaluations, enqueueWork } from "@m10/shared";
import { describe, expect, it } from "vitest";
import { evaluationCounts, failureMix, insertCandidates } from "./support/candidates.js";
import { logger } from "./support/harness.js";
import { holdOutboxKeys, leaseAndClaimCounts, workerBackendsWaitingOnLocks } from "./support/lock-holder.js";
import { useTestEnvironment } from "./support/environment.js";
import { FAST_ENV, runOnce, startWorker } from "./support/processes.js";

const t = useTestEnvironment();

describe("graceful shutdown", () => {
  it("exits 0 within the deadline when SIGTERM arrives while batches are stuck mid-transaction, and leaves nothing leased or claimed", async () => {
    const keys = uniqueStreamKeys();
    const env = { databaseUrl: t.db.url, redisUrl: testStack().redisUrl, keys, extra: { M10_SHUTDOWN_TIMEOUT_MS: "6000" } };
    const ids = await insertCandidates(t.pool, failureMix(40));
    const lock = await holdOutboxKeys(t.db.url, ids);
    let released = false;
    try {
      await enqueueEvaluations({ redis: t.redis, db: t.pool, keys, logger }, ids.slice(0, 20).map((candidateId) => ({ candidateId })));
      await enqueueWork(t.pool, ids.slice(20).map((candidateId) => ({ candidateId })), "db_fallback");
      const worker = await startWorker(env);
      await waitUntil("both batches waiting inside their transactions", async () => (await workerBackendsWaitingOnLocks(t.pool)) === 2);
      expect(await leaseAndClaimCounts(t.pool)).toMatchObject({ leased: 40, workClaimed: 20 });

      const started = Date.now();
      expect(await worker.stop("SIGTERM")).toBe(0);
      const elapsed = Date.now() - started;
      expect(elapsed).toBeLessThan(6_000);
      expect(worker.output()).toContain("worker.cancelling_in_flight");
      expect(await leaseAndClaimCounts(t.pool)).toEqual({ leased: 0, workClaimed: 0, executing: 0 });
      expect(await evaluationCounts(t.pool, ids)).toMatchObject({ evaluated: 0, created: 0 });

      await lock.release();
      released = true;
      // Nothing was lost: the next run evaluates all 40, once (the stream entries come back once they
      // have been idle for M10_CLAIM_IDLE_MS).
      await waitUntil("the unacknowledged stream entries idle past M10_CLAIM_IDLE_MS", async () => {
        const pending = (await t.redis.xpending(keys.stream, keys.group, "-", "+", 100)) as [string, string, number, number][];
        return pending.every(([, , idleMs]) => idleMs > Number(FAST_ENV.M10_CLAIM_IDLE_MS));
      });
      const drained = await runOnce(env);
      expect(drained.code).toBe(0);
      expect(await evaluationCounts(t.pool, ids)).toMatchObject({ evaluated: 40, created: 40, doubleCreated: 0, suggested: 40, doubleSuggested: 0 });
      expect(await t.redis.xlen(keys.stream)).toBe(0);
    } finally {
      if (!released) await lock.release();
    }
  });

  it("finishes the batches in flight when SIGTERM arrives during a backlog, then exits 0 with nothing leased", async () => {
    const keys = uniqueStreamKeys();
    const ids = await insertCandidates(t.pool, failureMix(3_000));
    await enqueueWork(t.pool, ids.map((candidateId) => ({ candidateId })), "db_fallback");
    const worker = await startWorker({ databaseUrl: t.db.url, redisUrl: testStack().redisUrl, keys, extra: { RECOVERY_WORKER_BATCH_SIZE: "25" } });
    await waitUntil("evaluation under way", async () => (await evaluationCounts(t.pool, ids)).evaluated > 0, { intervalMs: 20 });
    expect(await worker.stop("SIGTERM")).toBe(0);
    expect(worker.output()).not.toContain("worker.cancelling_in_flight");
    expect(await leaseAndClaimCounts(t.pool)).toEqual({ leased: 0, workClaimed: 0, executing: 0 });
    const counts = await evaluationCounts(t.pool, ids);
    expect(counts.evaluated).toBeLessThan(3_000);
    // Everything that was evaluated is complete: one provenance `created` and one event each.
    expect(counts).toMatchObject({ created: counts.evaluated, suggested: counts.evaluated, doubleCreated: 0 });
    const done = await t.pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM m10_recovery.work_queue WHERE processed_at IS NOT NULL AND candidate_id = ANY($1)",
      [ids],
    );
    expect(done.rows[0]?.n).toBe(counts.evaluated);
  });
});
