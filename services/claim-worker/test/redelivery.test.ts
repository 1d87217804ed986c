import { testStack, uniqueStreamKeys, waitUntil } from "@m10/devstack/testing";
import { enqueueEvaluations, enqueueWork, streamFields, ensureConsumerGroup, readGroup, moveToDeadLetter, replayDeadLetter, type RedisClient, type StreamKeys } from "@m10/shared";
import { describe, expect, it } from "vitest";
import { evaluationCounts, insertCandidates } from "./support/candidates.js";
import { useTestEnvironment } from "./support/environment.js";
import { logger, testWorker } from "./support/harness.js";

const t = useTestEnvironment();

/** A stream message for the candidate that consumer "gave-up" read and moved to the dead letter. */
async function deadLettered(redis: RedisClient, keys: StreamKeys, candidateId: number) {
  const messageId = (await redis.xadd(keys.stream, "*", ...streamFields({ candidateId }))) as string;
  await ensureConsumerGroup(redis, keys);
  await readGroup(redis, keys, "gave-up", { count: 1, blockMs: 0 });
  const move = await moveToDeadLetter(redis, keys, { messageId, reason: "max_reclaim_attempts", consumer: "gave-up" });
  if (!move.moved) throw new Error("not moved");
  return { messageId, move };
}

describe("redelivery takes effect once", () => {
  it("the same candidate queued twice on the stream is evaluated once and both entries are acknowledged", async () => {
    const keys = uniqueStreamKeys();
    const [id] = (await insertCandidates(t.pool, [{ errorCode: "TIMEOUT" }])) as [number];
    // One batch at a time: with batches in parallel the second entry may find the candidate leased
    // ("busy", redelivered later) rather than evaluated; this test is about the evaluated case.
    const w = await testWorker({ databaseUrl: t.db.url, redisUrl: testStack().redisUrl, keys, settings: { batchSize: 1, concurrency: 1 } });
    try {
      await enqueueEvaluations({ redis: w.redis, db: t.pool, keys, logger }, [{ candidateId: id }, { candidateId: id }]);
      expect(await w.worker.drainOnce()).toMatchObject({ evaluated: 1, skipped: 1 });
      expect(await w.redis?.xlen(keys.stream)).toBe(0);
    } finally {
      await w.close();
    }
    expect(await evaluationCounts(t.pool, [id])).toMatchObject({ evaluated: 1, created: 1, suggested: 1, actionRequested: 1 });
  });

  it("a message delivered again after its candidate was evaluated (a consumer died before XACK) is acknowledged without effect", async () => {
    const keys = uniqueStreamKeys();
    const [id] = (await insertCandidates(t.pool, [{ errorCode: "HTTP_503" }])) as [number];
    const w = await testWorker({ databaseUrl: t.db.url, redisUrl: testStack().redisUrl, keys, settings: { claimIdleMs: 200 } });
    const redis = w.redis!;
    try {
      // A consumer that reads the message and dies without acknowledging it.
      await redis.xadd(keys.stream, "*", ...streamFields({ candidateId: id }));
      await ensureConsumerGroup(redis, keys);
      const [delivered] = await readGroup(redis, keys, "died-before-xack", { count: 1, blockMs: 0 });
      // Meanwhile the candidate is evaluated through the DB queue.
      await enqueueWork(t.pool, [{ candidateId: id }], "db_fallback");
      expect(await w.worker.drainOnce()).toMatchObject({ evaluated: 1 });
      // The idle message is reclaimed (second delivery) and acknowledged as already evaluated.
      const running = w.worker.run();
      await waitUntil("the redelivered message to be acknowledged", async () => (await redis.xlen(keys.stream)) === 0);
      await w.worker.stop(5_000);
      await running;
      expect(w.worker.status().totals).toMatchObject({ skipped: 1, evaluated: 1 });
      expect(delivered?.candidateId).toBe(id);
    } finally {
      await w.close();
    }
    expect(await evaluationCounts(t.pool, [id])).toMatchObject({ evaluated: 1, created: 1, suggested: 1 });
  });

  it("a dead letter replayed after its candidate was evaluated creates no second suggestion", async () => {
    const keys = uniqueStreamKeys();
    const [id] = (await insertCandidates(t.pool, [{ errorCode: "RATE_LIMITED" }])) as [number];
    const w = await testWorker({ databaseUrl: t.db.url, redisUrl: testStack().redisUrl, keys });
    const redis = w.redis!;
    try {
      const { move } = await deadLettered(redis, keys, id);
      await enqueueWork(t.pool, [{ candidateId: id }], "retry");
      expect(await w.worker.drainOnce()).toMatchObject({ evaluated: 1 });

      const deps = { redis, db: t.pool, keys, replayedBy: "operator" };
      expect(await replayDeadLetter(deps, move.deadLetterId)).toMatchObject({ status: "already_evaluated", candidateId: id });
      expect(await redis.xlen(keys.stream)).toBe(0);
      expect(await w.worker.drainOnce()).toMatchObject({ evaluated: 0, skipped: 0 });
    } finally {
      await w.close();
    }
    expect(await evaluationCounts(t.pool, [id])).toMatchObject({ evaluated: 1, created: 1, suggested: 1 });
  });

  it("a dead letter replayed twice before evaluation is enqueued once and evaluated once", async () => {
    const keys = uniqueStreamKeys();
    const [id] = (await insertCandidates(t.pool, [{ errorCode: "CONNECTION_RESET" }])) as [number];
    const w = await testWorker({ databaseUrl: t.db.url, redisUrl: testStack().redisUrl, keys });
    const redis = w.redis!;
    try {
      const { messageId, move } = await deadLettered(redis, keys, id);
      const deps = { redis, db: t.pool, keys, replayedBy: "operator" };
      expect(await replayDeadLetter(deps, move.deadLetterId)).toMatchObject({ status: "replayed", method: "redis_stream" });
      // The same dead letter again (as if the first replay's XDEL had been lost): replay_log refuses it.
      const copyId = move.deadLetterId.replace(/-\d+$/, "-9");
      await redis.xadd(keys.deadLetter, copyId, "original_msg_id", messageId, "orig_candidate_id", String(id));
      expect(await replayDeadLetter(deps, copyId)).toMatchObject({ status: "already_replayed" });
      expect(await redis.xlen(keys.stream)).toBe(1);
      expect(await w.worker.drainOnce()).toMatchObject({ evaluated: 1 });
    } finally {
      await w.close();
    }
    expect(await evaluationCounts(t.pool, [id])).toMatchObject({ evaluated: 1, created: 1, suggested: 1 });
  });
});
