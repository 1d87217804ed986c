// The evaluation stream modules against a real Redis and PostgreSQL: consumer group, reclaim with
// backoff, the dead-letter Lua script, the archive and replay.
import { uniqueStreamKeys, waitUntil } from "@m10/devstack/testing";
import { describe, expect, it } from "vitest";
import { getArchivedDeadLetter, listArchivedDeadLetters } from "../src/db/dead-letters.js";
import { findReplay } from "../src/db/replay-log.js";
import { claimEntries, pendingEntries, planReclaim, reclaimStalled, requiredIdleMs } from "../src/queue/autoclaim.js";
import { acknowledge, consumerLagSeconds, ensureConsumerGroup, readGroup, streamStatus } from "../src/queue/consume.js";
import { archiveMovedDeadLetter, DEAD_LETTER_MOVE, listDeadLetters, moveToDeadLetter, readDeadLetter } from "../src/queue/dead-letter.js";
import { enqueueEvaluations, streamFields } from "../src/queue/enqueue.js";
import { createLogger } from "../src/observability/logger.js";
import { replayDeadLetter } from "../src/queue/replay.js";
import type { StreamKeys } from "../src/redis/keys.js";
import { useTestEnvironment } from "./support/environment.js";

const t = useTestEnvironment({ poolMax: 4, redis: true });

async function add(k: StreamKeys, candidateId: number | string): Promise<string> {
  const fields = streamFields({ candidateId: 0, metadata: { failure_match_id: "11111111-2222-3333-4444-555555555555" } });
  fields[1] = String(candidateId);
  return (await t.redis.xadd(k.stream, "*", ...fields)) as string;
}


describe("consumer group", () => {
  it("delivers entries added before the group existed (group created from 0 with MKSTREAM)", async () => {
    const k = uniqueStreamKeys();
    const id = await add(k, 7);
    expect(await ensureConsumerGroup(t.redis, k)).toBe(true);
    expect(await ensureConsumerGroup(t.redis, k)).toBe(false);
    const messages = await readGroup(t.redis, k, "c1", { count: 10, blockMs: 0 });
    expect(messages.map((m) => [m.id, m.candidateId])).toEqual([[id, 7]]);
    expect(messages[0]?.metadata).toEqual({ failure_match_id: "11111111-2222-3333-4444-555555555555" });
  });

  it("recreates a group Redis lost (NOGROUP) and keeps reading", async () => {
    const k = uniqueStreamKeys();
    await ensureConsumerGroup(t.redis, k);
    await t.redis.del(k.stream);
    expect(await readGroup(t.redis, k, "c1", { count: 10, blockMs: 0 })).toEqual([]);
    const id = await add(k, 8);
    expect((await readGroup(t.redis, k, "c1", { count: 10, blockMs: 0 })).map((m) => m.id)).toEqual([id]);
  });

  it("acknowledges with XACK + XDEL, so XLEN is the backlog", async () => {
    const k = uniqueStreamKeys();
    await add(k, 1);
    await add(k, 2);
    const [first] = await readGroup(t.redis, k, "c1", { count: 1, blockMs: 0 });
    expect(await acknowledge(t.redis, k, [first?.id as string])).toBe(1);
    expect(await streamStatus(t.redis, k)).toMatchObject({ length: 1, pending: 0, groupExists: true, consumers: 1, lag: 1 });
  });
});

describe("enqueueing evaluations (one stream-add-many script per 1,000 requests)", () => {
  it("adds one entry per request, in request order, with the five fields, and returns their ids", async () => {
    const k = uniqueStreamKeys();
    const requests = Array.from({ length: 1_205 }, (_, i) => ({ candidateId: i + 1, priority: i % 3, idempotencyKey: i === 0 ? "k-1" : null, metadata: { n: i } }));
    const results = await enqueueEvaluations({ redis: t.redis, db: t.pool, keys: k, logger: createLogger("shared-test", "silent") }, requests);

    const entries = await t.redis.xrange(k.stream, "-", "+");
    expect(entries).toHaveLength(1_205);
    expect(results).toEqual(entries.map(([id]) => ({ method: "redis_stream", messageId: id })));
    expect(entries.map(([, fields]) => Number(fields[1]))).toEqual(requests.map((r) => r.candidateId));
    const [, first] = entries[0] as [string, string[]];
    expect(first.filter((_, i) => i % 2 === 0)).toEqual(["candidate_id", "priority", "enqueued_at", "metadata", "idempotency_key"]);
    expect([first[3], first[7], first[9]]).toEqual(["0", JSON.stringify({ n: 0 }), "k-1"]);
    expect((entries[1_204] as [string, string[]])[1][3]).toBe(String(1_204 % 3));
  });
});

describe("consumer lag in seconds (the Phase 7 runbook's consumer_lag_seconds)", () => {
  /** An entry added `ageMs` before `now` (explicit id: the id's time part is what the lag reads). */
  async function addAged(k: StreamKeys, now: number, ageMs: number, candidateId: number): Promise<string> {
    const fields = streamFields({ candidateId, metadata: {} });
    return (await t.redis.xadd(k.stream, `${now - ageMs}-0`, ...fields)) as string;
  }

  it("is the age of the oldest entry not acknowledged: undelivered, then pending, then 0", async () => {
    const k = uniqueStreamKeys();
    const now = Date.now();
    expect(await consumerLagSeconds(t.redis, k, null, now)).toBe(0);
    await addAged(k, now, 90_000, 1);
    await addAged(k, now, 30_000, 2);
    // No group yet: the whole stream is outstanding.
    expect(await consumerLagSeconds(t.redis, k, null, now)).toBe(90);
    await ensureConsumerGroup(t.redis, k);
    const [first] = await readGroup(t.redis, k, "c1", { count: 1, blockMs: 0 });
    // The first entry is delivered and pending, the second not delivered: the pending one is older.
    expect((await streamStatus(t.redis, k)).lagSeconds).toBeGreaterThanOrEqual(90);
    await acknowledge(t.redis, k, [first?.id as string]);
    const status = await streamStatus(t.redis, k);
    expect(await consumerLagSeconds(t.redis, k, status.lastDeliveredId, now)).toBe(30);
    const [second] = await readGroup(t.redis, k, "c1", { count: 1, blockMs: 0 });
    expect(await consumerLagSeconds(t.redis, k, second?.id as string, now)).toBe(30);
    await acknowledge(t.redis, k, [second?.id as string]);
    expect(await consumerLagSeconds(t.redis, k, second?.id as string, now)).toBe(0);
  });
});

describe("reclaim", () => {
  it("backs off exponentially by delivery count and dead-letters after the last allowed delivery", () => {
    expect([1, 2, 3, 4].map((d) => requiredIdleMs(d, 1_000, 60_000))).toEqual([1_000, 2_000, 4_000, 8_000]);
    expect(requiredIdleMs(30, 1_000, 60_000)).toBe(60_000);
    const policy = { baseIdleMs: 1_000, maxBackoffMs: 60_000, maxDeliveries: 3 };
    const plan = planReclaim(
      [
        { id: "1-0", consumer: "a", idleMs: 1_500, deliveries: 1 },
        { id: "2-0", consumer: "a", idleMs: 1_500, deliveries: 2 },
        { id: "3-0", consumer: "a", idleMs: 4_000, deliveries: 3 },
        { id: "4-0", consumer: "a", idleMs: 3_000, deliveries: 3 },
      ],
      policy,
    );
    expect(plan.claim.map((e) => e.id)).toEqual(["1-0"]);
    expect(plan.deferred.map((e) => e.id)).toEqual(["2-0", "4-0"]);
    expect(plan.deadLetter.map((e) => e.id)).toEqual(["3-0"]);
  });

  it("claims entries idle past the threshold once, however many consumers try", async () => {
    const k = uniqueStreamKeys();
    await add(k, 1);
    await ensureConsumerGroup(t.redis, k);
    await readGroup(t.redis, k, "crashed", { count: 10, blockMs: 0 });
    await waitUntil("the entry idle past the 50 ms threshold", async () => {
      const [entry] = (await t.redis.xpending(k.stream, k.group, "-", "+", 1)) as [string, string, number, number][];
      return (entry?.[2] ?? 0) > 50;
    });
    const policy = { baseIdleMs: 50, maxBackoffMs: 10_000, maxDeliveries: 3, count: 10 };
    const [a, b] = await Promise.all([reclaimStalled(t.redis, k, "a", policy), reclaimStalled(t.redis, k, "b", policy)]);
    expect(a.claimed.length + b.claimed.length).toBe(1);
    const claimed = (a.claimed[0] ?? b.claimed[0])!;
    expect(claimed.deliveries).toBe(2);
    expect((await pendingEntries(t.redis, k, { count: 10 }))[0]).toMatchObject({ deliveries: 2 });
    // A second reclaim right away: the backoff for 2 deliveries (100 ms) has not elapsed.
    expect((await reclaimStalled(t.redis, k, "a", policy)).claimed).toEqual([]);
  });
});

describe("dead-letter move (one Lua script)", () => {
  it("moves an entry with orig_* fields, acknowledges and deletes it, and the archive keeps it", async () => {
    const k = uniqueStreamKeys();
    const id = await add(k, 42);
    await ensureConsumerGroup(t.redis, k);
    await readGroup(t.redis, k, "worker-1", { count: 1, blockMs: 0 });
    const move = await moveToDeadLetter(t.redis, k, { messageId: id, reason: "max_reclaim_attempts", consumer: "worker-1" });
    expect(move).toMatchObject({ moved: true, deliveries: 1, originalFields: { candidate_id: "42" } });
    if (!move.moved) throw new Error("not moved");

    const [entry] = (await t.redis.xrange(k.deadLetter, "-", "+")) as [string, string[]][];
    const fields = Object.fromEntries(entry?.[1].reduce<[string, string][]>((pairs, v, i, all) => (i % 2 ? pairs : [...pairs, [v, all[i + 1] as string]]), []) ?? []);
    expect(fields).toMatchObject({
      original_msg_id: id,
      original_stream: k.stream,
      reason: "max_reclaim_attempts",
      consumer: "worker-1",
      orig_candidate_id: "42",
      orig_priority: "0",
      orig_idempotency_key: "",
    });
    expect(Object.keys(fields)).toEqual(expect.arrayContaining(["dead_lettered_at", "orig_enqueued_at", "orig_metadata"]));
    expect(await streamStatus(t.redis, k)).toMatchObject({ length: 0, pending: 0, deadLetterLength: 1 });

    const archiveId = await archiveMovedDeadLetter(t.pool, k, move, "worker-1");
    expect(await archiveMovedDeadLetter(t.pool, k, move, "worker-1")).toBe(archiveId);
    expect(await getArchivedDeadLetter(t.pool, move.deadLetterId)).toMatchObject({
      id: archiveId,
      original_msg_id: id,
      candidate_id: 42,
      failure_match_id: "11111111-2222-3333-4444-555555555555",
      reason: "max_reclaim_attempts",
      reclaim_count: 1,
      stream_name: k.deadLetter,
      payload: { orig_candidate_id: "42", reason: "max_reclaim_attempts" },
    });
    expect((await listArchivedDeadLetters(t.pool, { candidateId: 42 })).map((row) => row.id)).toEqual([archiveId]);
    expect((await readDeadLetter(t.redis, k, move.deadLetterId))?.originalFields.candidate_id).toBe("42");
  });

  it("does nothing for an entry that is no longer pending, or not idle long enough", async () => {
    const k = uniqueStreamKeys();
    const id = await add(k, 5);
    await ensureConsumerGroup(t.redis, k);
    await readGroup(t.redis, k, "w", { count: 1, blockMs: 0 });
    expect(await moveToDeadLetter(t.redis, k, { messageId: id, reason: "r", consumer: "w", minIdleMs: 60_000 })).toEqual({ moved: false, reason: "not_pending" });
    await acknowledge(t.redis, k, [id]);
    expect(await moveToDeadLetter(t.redis, k, { messageId: id, reason: "r", consumer: "w" })).toEqual({ moved: false, reason: "not_pending" });
    expect(await t.redis.xlen(k.deadLetter)).toBe(0);
  });

  it("never trims the dead-letter stream: dead letters not archived yet all stay, however many there are", async () => {
    const k = uniqueStreamKeys();
    // 250 earlier dead letters whose archiving has not happened yet (a worker died between move and archive).
    const earlier: string[] = [];
    for (let i = 0; i < 250; i += 1) earlier.push((await t.redis.xadd(k.deadLetter, "*", "original_msg_id", `1-${i}`, "reason", "max_reclaim_attempts")) as string);
    const id = await add(k, 9);
    await ensureConsumerGroup(t.redis, k);
    await readGroup(t.redis, k, "w", { count: 1, blockMs: 0 });

    const move = await moveToDeadLetter(t.redis, k, { messageId: id, reason: "max_reclaim_attempts", consumer: "w" });

    expect(move).toMatchObject({ moved: true });
    expect(await t.redis.xlen(k.deadLetter)).toBe(251);
    expect((await t.redis.xrange(k.deadLetter, "-", "+", "COUNT", 250)).map(([entryId]) => entryId)).toEqual(earlier);
  });

  it("reloads the script after Redis forgot it (SCRIPT FLUSH)", async () => {
    const k = uniqueStreamKeys();
    const id = await add(k, 6);
    await ensureConsumerGroup(t.redis, k);
    await readGroup(t.redis, k, "w", { count: 1, blockMs: 0 });
    await t.redis.script("FLUSH");
    expect(await moveToDeadLetter(t.redis, k, { messageId: id, reason: "r", consumer: "w" })).toMatchObject({ moved: true });
    expect(await t.redis.script("EXISTS", DEAD_LETTER_MOVE.sha)).toEqual([1]);
  });
});

describe("replay", () => {
  async function deadLetterFor(k: StreamKeys, candidateId: number): Promise<string> {
    const id = await add(k, candidateId);
    await ensureConsumerGroup(t.redis, k);
    await readGroup(t.redis, k, "w", { count: 10, blockMs: 0 });
    const move = await moveToDeadLetter(t.redis, k, { messageId: id, reason: "max_reclaim_attempts", consumer: "w" });
    if (!move.moved) throw new Error("not moved");
    return move.deadLetterId;
  }

  async function newCandidate(): Promise<number> {
    const result = await t.pool.query<{ id: number }>(
      "INSERT INTO recovery_candidates (failure_match_id, suggestion, confidence, error_code) VALUES (gen_random_uuid(), 's', 0.2, 'TIMEOUT') RETURNING id",
    );
    return result.rows[0]?.id as number;
  }

  it("replays once onto the stream, however many replays race, and records it in replay_log", async () => {
    const k = uniqueStreamKeys();
    const candidateId = await newCandidate();
    const dlId = await deadLetterFor(k, candidateId);
    const deps = { redis: t.redis, db: t.pool, keys: k, replayedBy: "test" };
    const results = await Promise.all([replayDeadLetter(deps, dlId), replayDeadLetter(deps, dlId), replayDeadLetter(deps, dlId)]);
    expect(results.filter((r) => r.status === "replayed")).toHaveLength(1);
    expect(results.filter((r) => r.status !== "replayed").every((r) => r.status === "already_replayed" || r.status === "not_found")).toBe(true);

    const replayed = await readGroup(t.redis, k, "w", { count: 10, blockMs: 0 });
    expect(replayed).toHaveLength(1);
    expect(replayed[0]).toMatchObject({ candidateId, fields: { replayed_from_dl: dlId } });
    expect(await listDeadLetters(t.redis, k)).toEqual([]);
    const [entry] = (await t.redis.xrange(k.stream, replayed[0]?.id as string, replayed[0]?.id as string)) as [string, string[]][];
    expect(entry).toBeDefined();
    const original = (await t.pool.query<{ original_msg_id: string }>("SELECT original_msg_id FROM m10_recovery.replay_log WHERE dl_msg_id = $1", [dlId])).rows;
    expect(original).toHaveLength(1);
    expect(await findReplay(t.pool, original[0]?.original_msg_id as string)).toMatchObject({
      dl_msg_id: dlId,
      candidate_id: candidateId,
      new_msg_id: replayed[0]?.id,
      replayed_by: "test",
    });
  });

  it("refuses to replay a dead letter whose candidate is already evaluated, or gone", async () => {
    const k = uniqueStreamKeys();
    const evaluated = await newCandidate();
    await t.pool.query("UPDATE recovery_candidates SET evaluated_at = now() WHERE id = $1", [evaluated]);
    const deps = { redis: t.redis, db: t.pool, keys: k, replayedBy: "test" };
    const dlEvaluated = await deadLetterFor(k, evaluated);
    expect(await replayDeadLetter(deps, dlEvaluated)).toEqual({ status: "already_evaluated", dlId: dlEvaluated, candidateId: evaluated });
    const dlGone = await deadLetterFor(k, 2_000_000_000);
    expect(await replayDeadLetter(deps, dlGone)).toMatchObject({ status: "candidate_missing" });
    expect(await replayDeadLetter(deps, "1-1")).toEqual({ status: "not_found", dlId: "1-1" });
    expect(await t.redis.xlen(k.stream)).toBe(0);
    expect(await t.redis.xlen(k.deadLetter)).toBe(2);
  });
});

describe("claimEntries", () => {
  it("reports ids it could not claim (deleted from the stream meanwhile)", async () => {
    const k = uniqueStreamKeys();
    const id = await add(k, 3);
    await ensureConsumerGroup(t.redis, k);
    await readGroup(t.redis, k, "crashed", { count: 1, blockMs: 0 });
    await t.redis.xdel(k.stream, id);
    const result = await claimEntries(t.redis, k, "me", 0, [{ id, consumer: "crashed", idleMs: 0, deliveries: 1 }]);
    expect(result).toEqual({ messages: [], missedIds: [id] });
  });
});
