import { metricValue, testStack, uniqueStreamKeys, waitUntil } from "@m10/devstack/testing";
import { fieldsToRecord, enqueueEvaluations, enqueueWork } from "@m10/shared";
import { beforeAll, describe, expect, it } from "vitest";
import { evaluationCounts, insertCandidates } from "./support/candidates.js";
import { useTestEnvironment } from "./support/environment.js";
import { logger, testWorker } from "./support/harness.js";

const t = useTestEnvironment();

// A candidate that can never be evaluated: PostgreSQL rejects writing its evaluation.
beforeAll(async () => {
  await t.pool.query(`
    CREATE TABLE poison (candidate_id int PRIMARY KEY);
    CREATE FUNCTION reject_poison() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.evaluated_at IS NOT NULL AND EXISTS (SELECT 1 FROM poison WHERE candidate_id = NEW.id) THEN
        RAISE EXCEPTION 'poison candidate %', NEW.id;
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER reject_poison BEFORE UPDATE ON recovery_candidates FOR EACH ROW EXECUTE FUNCTION reject_poison();`);
});

describe("poison messages leave the hot path", () => {
  it("dead-letters a stream message after exactly M10_MAX_RECLAIM_ATTEMPTS deliveries, archives it, and keeps the group moving", async () => {
    const keys = uniqueStreamKeys();
    const ids = await insertCandidates(t.pool, [{ errorCode: "TIMEOUT" }, { errorCode: "POISON" }, { errorCode: "HTTP_500" }, { errorCode: "FOO" }]);
    const poisonId = ids[1] as number;
    await t.pool.query("INSERT INTO poison VALUES ($1)", [poisonId]);
    const w = await testWorker({
      databaseUrl: t.db.url,
      redisUrl: testStack().redisUrl,
      keys,
      settings: { claimIdleMs: 150, reclaimIntervalMs: 50, maxReclaimAttempts: 3, batchSize: 10 },
    });
    const redis = w.redis!;
    const running = w.worker.run();
    try {
      const [enqueued] = (await enqueueEvaluations({ redis, db: t.pool, keys, logger }, ids.map((candidateId) => ({ candidateId })))).slice(1);
      const poisonMessageId = (enqueued as { messageId: string }).messageId;
      await waitUntil(
        "the poison message in the dead-letter stream and the archive",
        async () => {
          const archived = await t.pool.query("SELECT 1 FROM m10_recovery.dead_letter_archive WHERE candidate_id = $1", [poisonId]);
          const archivedMetric = metricValue(await w.metricsText(), "m10_archive_total", { source: "dead_letter" });
          return (await redis.xlen(keys.deadLetter)) === 1 && archived.rowCount === 1 && archivedMetric === 1;
        },
        { timeoutMs: 20_000 },
      );

      // Delivered three times, failed three times, then moved: never a fourth delivery.
      const metrics = await w.metricsText();
      expect(metricValue(metrics, "recovery_worker_processed_total", { status: "failed", source: "redis_stream" })).toBe(3);
      expect(metricValue(metrics, "recovery_dead_letter_added_total", { reason: "max_reclaim_attempts" })).toBe(1);
      expect(metricValue(metrics, "m10_archive_total", { source: "dead_letter" })).toBe(1);

      const [[deadLetterId, flat]] = (await redis.xrange(keys.deadLetter, "-", "+")) as [[string, string[]]];
      const fields = fieldsToRecord(flat);
      expect(fields).toMatchObject({
        original_msg_id: poisonMessageId,
        original_stream: keys.stream,
        reason: "max_reclaim_attempts",
        consumer: w.consumer,
        orig_candidate_id: String(poisonId),
        orig_priority: "0",
      });
      expect(Object.keys(fields)).toEqual(expect.arrayContaining(["dead_lettered_at", "orig_enqueued_at", "orig_metadata", "orig_idempotency_key"]));

      const archived = await t.pool.query("SELECT original_msg_id, candidate_id, reason, reclaim_count, archived_by, stream_name FROM m10_recovery.dead_letter_archive WHERE dl_msg_id = $1", [deadLetterId]);
      expect(archived.rows).toEqual([
        { original_msg_id: poisonMessageId, candidate_id: poisonId, reason: "max_reclaim_attempts", reclaim_count: 3, archived_by: w.consumer, stream_name: keys.deadLetter },
      ]);

      // Nothing pending; the others were evaluated, and a message queued afterwards still flows.
      expect(((await redis.xpending(keys.stream, keys.group)) as [number])[0]).toBe(0);
      const [later] = (await insertCandidates(t.pool, [{ errorCode: "RATE_LIMITED" }])) as [number];
      await enqueueEvaluations({ redis, db: t.pool, keys, logger }, [{ candidateId: later }]);
      await waitUntil("the later message evaluated", async () => (await evaluationCounts(t.pool, [later])).evaluated === 1);
      const healthy = ids.filter((id) => id !== poisonId);
      expect(await evaluationCounts(t.pool, healthy)).toMatchObject({ evaluated: 3, created: 3, suggested: 3 });
      expect(await evaluationCounts(t.pool, [poisonId])).toMatchObject({ evaluated: 0, leased: 0, created: 0, suggested: 0 });
    } finally {
      await w.worker.stop(5_000);
      await running;
      await w.close();
    }
  });

  it("dead-letters a stream message without a valid candidate_id at once", async () => {
    const keys = uniqueStreamKeys();
    const w = await testWorker({ databaseUrl: t.db.url, redisUrl: testStack().redisUrl, keys });
    try {
      const id = await w.redis!.xadd(keys.stream, "*", "candidate_id", "not-a-number", "priority", "0");
      expect(await w.worker.drainOnce()).toMatchObject({ evaluated: 0, failed: 0 });
      const [[, flat]] = (await w.redis!.xrange(keys.deadLetter, "-", "+")) as [[string, string[]]];
      expect(fieldsToRecord(flat)).toMatchObject({ original_msg_id: id, reason: "invalid_message", orig_candidate_id: "not-a-number" });
      expect(await w.redis!.xlen(keys.stream)).toBe(0);
      expect(metricValue(await w.metricsText(), "recovery_dead_letter_added_total", { reason: "invalid_message" })).toBe(1);
    } finally {
      await w.close();
    }
  });

  it("archives a work_queue row that keeps failing after the same number of attempts and takes it out of the queue", async () => {
    const keys = uniqueStreamKeys();
    const [good, bad] = (await insertCandidates(t.pool, [{ errorCode: "TIMEOUT" }, { errorCode: "POISON" }])) as [number, number];
    await t.pool.query("INSERT INTO poison VALUES ($1)", [bad]);
    const [, workId] = await enqueueWork(t.pool, [{ candidateId: good }, { candidateId: bad }], "db_fallback");
    const w = await testWorker({ databaseUrl: t.db.url, keys, settings: { useStream: false, maxReclaimAttempts: 3, pollIntervalMs: 20 } });
    const running = w.worker.run();
    try {
      await waitUntil("the poison work row dead-lettered", async () => {
        const row = await t.pool.query<{ processed_at: Date | null }>("SELECT processed_at FROM m10_recovery.work_queue WHERE id = $1", [workId]);
        return row.rows[0]?.processed_at !== null;
      });
    } finally {
      await w.worker.stop(5_000);
      await running;
      await w.close();
    }
    const row = await t.pool.query("SELECT retry_count, error_message FROM m10_recovery.work_queue WHERE id = $1", [workId]);
    expect(row.rows[0]).toMatchObject({ retry_count: 2, error_message: expect.stringMatching(/^dead-lettered after 3 attempts: error: poison candidate/) });
    const archived = await t.pool.query("SELECT original_msg_id, candidate_id, reason, reclaim_count FROM m10_recovery.dead_letter_archive WHERE dl_msg_id = $1", [`work_queue:${workId}`]);
    expect(archived.rows).toEqual([{ original_msg_id: `work_queue:${workId}`, candidate_id: bad, reason: "max_work_attempts", reclaim_count: 3 }]);
    expect(await evaluationCounts(t.pool, [good])).toMatchObject({ evaluated: 1 });
    const depth = await t.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM m10_recovery.work_queue WHERE processed_at IS NULL");
    expect(depth.rows[0]?.n).toBe(0);
  });
});
