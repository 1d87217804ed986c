// The operator's dead-letter operations (m10ctl dlq) against a real Redis and PostgreSQL: list,
// inspect, replay by any id (stream entry, archived evaluation, outbox event), replay of the whole
// stream, resolve and the report by reason.
import { randomBytes } from "node:crypto";
import { createTestDatabase, testStack, type TestDatabase } from "@m10/devstack/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPool, type Pool } from "../src/db/pool.js";
import { createLogger } from "../src/observability/logger.js";
import { createMetrics } from "../src/observability/metrics.js";
import { archiveMovedDeadLetter, moveToDeadLetter } from "../src/queue/dead-letter.js";
import { type DeadLetterOperationsDeps, inspectDeadLetter, listDeadLetterSources } from "../src/queue/dead-letter-lookup.js";
import { deadLetterReport } from "../src/queue/dead-letter-report.js";
import { replayAllDeadLetters, replayOneDeadLetter } from "../src/queue/dead-letter-replay.js";
import { resolveDeadLetter } from "../src/queue/dead-letter-resolve.js";
import { streamFields } from "../src/queue/enqueue.js";
import { createRedisClient, type RedisClient } from "../src/redis/client.js";
import type { StreamKeys } from "../src/redis/keys.js";

const logger = createLogger("dead-letter-operations-test", "silent");
let redis: RedisClient;
let db: TestDatabase;
let pool: Pool;

beforeAll(async () => {
  redis = createRedisClient(testStack().redisUrl);
  await new Promise<void>((resolve) => (redis.status === "ready" ? resolve() : redis.once("ready", () => resolve())));
  db = await createTestDatabase();
  pool = createPool({ DATABASE_URL: db.url, M10_DB_POOL_MAX: 4, M10_DB_CONNECT_TIMEOUT_MS: 5_000, M10_DB_STATEMENT_TIMEOUT_MS: 0 }, logger, "dead-letter-operations-test");
});
afterAll(async () => {
  redis.disconnect();
  await pool.end();
  await db.drop();
});

function keys(): StreamKeys {
  const prefix = `dlo:${randomBytes(4).toString("hex")}`;
  return { stream: `${prefix}:stream`, group: `${prefix}:group`, deadLetter: `${prefix}:dead-letter` };
}

/** Operations on `k`; `redis: "refused"` proves an operation never needs Redis (or survives without it). */
function deps(k: StreamKeys, options: { redis?: "refused" } = {}): DeadLetterOperationsDeps {
  const { metrics } = createMetrics("m10ctl", { defaultMetrics: false });
  return {
    db: pool,
    redis: options.redis === "refused" ? () => Promise.reject(new Error("Redis is not reachable")) : async () => redis,
    keys: k,
    actor: "operator-test",
    logger,
    metrics,
  };
}

async function counted(counter: { get(): Promise<{ values: { value: number; labels: Record<string, unknown> }[] }> }, labels: Record<string, string> = {}): Promise<number> {
  const { values } = await counter.get();
  return values.filter((v) => Object.entries(labels).every(([name, value]) => v.labels[name] === value)).reduce((sum, v) => sum + v.value, 0);
}

async function candidate(evaluated = false): Promise<number> {
  const result = await pool.query<{ id: number }>(
    "INSERT INTO public.recovery_candidates (failure_match_id, suggestion, confidence, evaluated_at) VALUES (gen_random_uuid(), 's', 0.2, CASE WHEN $1 THEN now() END) RETURNING id",
    [evaluated],
  );
  return result.rows[0]!.id;
}

/** What the claim worker does to a poison message: XADD, deliver, move to the dead letter, archive. */
async function deadLetter(k: StreamKeys, candidateId: number, reason = "max_reclaim_attempts"): Promise<string> {
  await redis.xgroup("CREATE", k.stream, k.group, "0", "MKSTREAM").catch(() => undefined);
  const id = (await redis.xadd(k.stream, "*", ...streamFields({ candidateId, metadata: { failure_match_id: "11111111-2222-3333-4444-555555555555" } }))) as string;
  await redis.call("XREADGROUP", "GROUP", k.group, "worker-1", "COUNT", "100", "STREAMS", k.stream, ">");
  const move = await moveToDeadLetter(redis, k, { messageId: id, reason, consumer: "worker-1" });
  if (!move.moved) throw new Error("not moved");
  await archiveMovedDeadLetter(pool, k, move, "claim-worker");
  return move.deadLetterId;
}

async function archiveId(dlId: string): Promise<number> {
  return (await pool.query<{ id: number }>("SELECT id FROM m10_recovery.dead_letter_archive WHERE dl_msg_id = $1", [dlId])).rows[0]!.id;
}

/** An outbox event the outbox processor gave up on, archived as it does. */
async function deadLetteredOutboxEvent(payload: Record<string, unknown>): Promise<number> {
  const event = await pool.query<{ id: number }>(
    `INSERT INTO m10_recovery.outbox (aggregate_type, aggregate_id, event_type, payload, processed_at, processed_by, retry_count)
     VALUES ('recovery_candidate', '77', 'recovery.suggested', '{"x":1}', now(), 'dead-letter', 6) RETURNING id`,
  );
  const eventId = event.rows[0]!.id;
  await pool.query(
    "SELECT m10_recovery.archive_dead_letter(NULL, 'outbox:' || $1, 77, NULL, $2::jsonb, 'outbox_max_retries', 6, now(), 'outbox-processor')",
    [eventId, JSON.stringify({ id: eventId, ...payload })],
  );
  return eventId;
}

describe("replayOneDeadLetter", () => {
  it("replays a stream entry once (a dry run changes nothing) and counts the replay once", async () => {
    const k = keys();
    const ops = deps(k);
    const id = await candidate();
    const dlId = await deadLetter(k, id);

    expect(await replayOneDeadLetter(ops, dlId, true)).toMatchObject({ status: "would_replay", source: "stream", candidate_id: id });
    expect(await redis.xlen(k.stream)).toBe(0);

    const first = await replayOneDeadLetter(ops, dlId, false);
    const second = await replayOneDeadLetter(ops, dlId, false);

    expect(first).toMatchObject({ id: dlId, status: "replayed", source: "stream", kind: "evaluation", candidate_id: id, replay_id: expect.any(Number) });
    expect((await redis.xrange(k.stream, "-", "+")).map(([entryId]) => entryId)).toEqual([first.new_message_id]);
    expect(await redis.xlen(k.deadLetter)).toBe(0);
    // The stream entry is gone: the archive row answers, and record_replay refuses a second one.
    expect(second).toMatchObject({ status: "already_replayed", source: "archive", replay_id: first.replay_id });
    expect(await counted(ops.metrics.recoveryDeadLetterReplayedTotal)).toBe(1);
  });

  it("refuses a candidate that is already evaluated or gone, and answers not_found for unknown ids", async () => {
    const k = keys();
    const ops = deps(k);
    const evaluated = await candidate();
    const dlId = await deadLetter(k, evaluated);
    await pool.query("UPDATE public.recovery_candidates SET evaluated_at = now() WHERE id = $1", [evaluated]);
    const gone = await candidate();
    const goneDlId = await deadLetter(k, gone);
    await pool.query("DELETE FROM public.recovery_candidates WHERE id = $1", [gone]);

    expect(await replayOneDeadLetter(ops, dlId, false)).toMatchObject({ status: "already_evaluated", candidate_id: evaluated });
    expect(await replayOneDeadLetter(ops, goneDlId, false)).toMatchObject({ status: "candidate_missing", candidate_id: gone });
    expect(await redis.xlen(k.deadLetter)).toBe(2);
    expect(await replayOneDeadLetter(ops, "1-1", false)).toMatchObject({ status: "not_found", source: null });
    expect(await replayOneDeadLetter(ops, "999999999", false)).toMatchObject({ status: "not_found" });
    expect(await counted(ops.metrics.recoveryDeadLetterReplayedTotal)).toBe(0);
  });

  it("enqueues an evaluation dead letter that only the archive still has, on the stream or, without Redis, the DB queue", async () => {
    const k = keys();
    const onStream = await candidate();
    const onStreamDl = await deadLetter(k, onStream);
    const inDb = await candidate();
    const inDbDl = await deadLetter(k, inDb);
    await redis.xdel(k.deadLetter, onStreamDl, inDbDl); // trimmed after archiving

    const streamed = await replayOneDeadLetter(deps(k), String(await archiveId(onStreamDl)), false);
    expect(streamed).toMatchObject({ status: "replayed", source: "archive", kind: "evaluation", candidate_id: onStream });
    const [entry] = await redis.xrange(k.stream, "-", "+");
    expect(entry?.[0]).toBe(streamed.new_message_id);
    expect(entry?.[1]).toEqual(expect.arrayContaining(["candidate_id", String(onStream)]));
    expect(JSON.parse(entry![1][entry![1].indexOf("metadata") + 1]!)).toMatchObject({ replayed_from_dl: onStreamDl });

    const queued = await replayOneDeadLetter(deps(k, { redis: "refused" }), String(await archiveId(inDbDl)), false);
    expect(queued).toMatchObject({ status: "replayed", source: "archive", candidate_id: inDb, new_message_id: expect.stringMatching(/^work_queue:\d+$/) });
    const work = await pool.query("SELECT candidate_id FROM m10_recovery.work_queue WHERE id = $1", [Number(queued.new_message_id!.split(":")[1])]);
    expect(work.rows).toEqual([{ candidate_id: inDb }]);
  });

  it("re-publishes a dead-lettered outbox event once, without Redis, and counts it as published", async () => {
    const ops = deps(keys(), { redis: "refused" });
    const eventId = await deadLetteredOutboxEvent({ aggregate_type: "recovery_candidate", aggregate_id: "77", event_type: "recovery.suggested", payload: { x: 1 } });

    expect(await replayOneDeadLetter(ops, `outbox:${eventId}`, true)).toMatchObject({ status: "would_replay", kind: "outbox" });
    const first = await replayOneDeadLetter(ops, `outbox:${eventId}`, false);
    const second = await replayOneDeadLetter(ops, `outbox:${eventId}`, false);

    expect(first).toMatchObject({ status: "replayed", source: "archive", kind: "outbox", candidate_id: 77, new_message_id: expect.stringMatching(/^outbox:\d+$/) });
    expect(second).toMatchObject({ status: "already_replayed", kind: "outbox", new_message_id: first.new_message_id });
    const republished = await pool.query("SELECT aggregate_id, event_type, payload, processed_at FROM m10_recovery.outbox WHERE id = $1", [Number(first.new_message_id!.split(":")[1])]);
    expect(republished.rows).toEqual([{ aggregate_id: "77", event_type: "recovery.suggested", payload: { x: 1 }, processed_at: null }]);
    expect(await counted(ops.metrics.m10OutboxPublishedTotal, { aggregate_type: "recovery_candidate", event_type: "recovery.suggested" })).toBe(1);
    expect(await counted(ops.metrics.recoveryDeadLetterReplayedTotal)).toBe(1);
  });

  it("refuses an archived outbox event without aggregate and event type, writing nothing", async () => {
    const ops = deps(keys(), { redis: "refused" });
    const eventId = await deadLetteredOutboxEvent({ aggregate_type: "recovery_candidate", payload: {} });
    const pendingBefore = await pool.query("SELECT count(*)::int AS n FROM m10_recovery.outbox WHERE processed_at IS NULL");

    expect(await replayOneDeadLetter(ops, `outbox:${eventId}`, false)).toMatchObject({ status: "invalid_message", kind: "outbox" });
    expect((await pool.query("SELECT count(*)::int AS n FROM m10_recovery.outbox WHERE processed_at IS NULL")).rows).toEqual(pendingBefore.rows);
    expect(await counted(ops.metrics.m10OutboxPublishedTotal)).toBe(0);
  });
});

describe("replayAllDeadLetters", () => {
  it("reports every stream entry on a dry run, then replays each once, with progress", async () => {
    const k = keys();
    const ops = deps(k);
    for (const id of [await candidate(), await candidate()]) await deadLetter(k, id);
    const done = await candidate();
    await deadLetter(k, done);
    await pool.query("UPDATE public.recovery_candidates SET evaluated_at = now() WHERE id = $1", [done]);
    const progress: number[] = [];

    const dry = await replayAllDeadLetters(ops, { dryRun: true, signal: new AbortController().signal, onProgress: (n) => progress.push(n) });
    expect(dry).toMatchObject({ dry_run: true, total: 3, by_status: { would_replay: 2, already_evaluated: 1 }, errors: [] });
    expect(progress).toEqual([1, 2, 3]);
    expect(await redis.xlen(k.stream)).toBe(0);

    const real = await replayAllDeadLetters(ops, { dryRun: false, signal: new AbortController().signal });
    expect(real).toMatchObject({ total: 3, by_status: { replayed: 2, already_evaluated: 1 } });
    expect(await redis.xlen(k.stream)).toBe(2);
    expect(await replayAllDeadLetters(ops, { dryRun: false, signal: new AbortController().signal })).toMatchObject({ total: 1, by_status: { already_evaluated: 1 } });
  });

  it("stops at once when its signal is aborted", async () => {
    const k = keys();
    await deadLetter(k, await candidate());
    const controller = new AbortController();
    controller.abort();
    expect(await replayAllDeadLetters(deps(k), { dryRun: false, signal: controller.signal })).toMatchObject({ total: 0, results: [] });
    expect(await redis.xlen(k.deadLetter)).toBe(1);
  });
});

describe("resolveDeadLetter", () => {
  it("archives, logs as resolved and removes a stream entry; a later replay or resolve is refused", async () => {
    const k = keys();
    const ops = deps(k);
    const dlId = await deadLetter(k, await candidate());

    const resolved = await resolveDeadLetter(ops, dlId, "fixed upstream");

    expect(resolved).toEqual({ id: dlId, status: "resolved", archive_id: await archiveId(dlId), replay_id: expect.any(Number), removed_from_stream: true });
    expect(await redis.xlen(k.deadLetter)).toBe(0);
    const log = await pool.query("SELECT status, error_message FROM m10_recovery.replay_log WHERE dl_msg_id = $1", [dlId]);
    expect(log.rows).toEqual([{ status: "resolved", error_message: "fixed upstream" }]);
    expect(await counted(ops.metrics.m10ArchiveTotal, { source: "manual" })).toBe(1);
    expect(await replayOneDeadLetter(ops, dlId, false)).toMatchObject({ status: "already_replayed", source: "archive" });
    expect(await resolveDeadLetter(deps(k, { redis: "refused" }), String(resolved.archive_id), "again")).toMatchObject({ status: "already_handled", removed_from_stream: false });
    expect(await resolveDeadLetter(ops, "1-1", "nothing")).toMatchObject({ status: "not_found", archive_id: null });
  });
});

describe("inspectDeadLetter and listDeadLetterSources", () => {
  it("inspects a stream entry with its archive row, replay and candidate; an archive id needs no Redis", async () => {
    const k = keys();
    const id = await candidate();
    const dlId = await deadLetter(k, id);

    const found = await inspectDeadLetter(deps(k), dlId);
    expect(found).toMatchObject({
      entry: { id: dlId, reason: "max_reclaim_attempts", candidateId: id },
      archive: { dl_msg_id: dlId, candidate_id: id },
      replay: null,
      candidate: { id, decision: "pending", evaluated_at: null, evaluation_claimed_by: null, suggestion: "s" },
    });
    await replayOneDeadLetter(deps(k), dlId, false);
    const byArchive = await inspectDeadLetter(deps(k, { redis: "refused" }), String(await archiveId(dlId)));
    expect(byArchive).toMatchObject({ entry: null, archive: { dl_msg_id: dlId }, replay: { status: "replayed", dl_msg_id: dlId } });
    expect(await inspectDeadLetter(deps(k), "9-9")).toBeUndefined();
  });

  it("lists the stream newest first with its length, and archive rows by reason without asking Redis", async () => {
    const k = keys();
    const reason = `list_${randomBytes(3).toString("hex")}`;
    const older = await deadLetter(k, await candidate(), reason);
    const newer = await deadLetter(k, await candidate(), reason);

    const stream = await listDeadLetterSources(deps(k), { limit: 1, source: "stream" });
    expect(stream).toEqual({ stream: { key: k.deadLetter, length: 2, entries: [expect.objectContaining({ id: newer })] } });
    const archive = await listDeadLetterSources(deps(k, { redis: "refused" }), { limit: 10, source: "archive", reason });
    expect(archive.stream).toBeUndefined();
    expect(archive.archive?.rows.map((row) => row.dl_msg_id)).toEqual([newer, older]);
  });
});

describe("deadLetterReport", () => {
  it("groups the window's dead letters by reason in the archive and the stream, largest first", async () => {
    const k = keys();
    const [big, small] = [`big_${randomBytes(3).toString("hex")}`, `small_${randomBytes(3).toString("hex")}`];
    for (const reason of [big, big, small]) await deadLetter(k, await candidate(), reason);
    await pool.query("INSERT INTO m10_recovery.dead_letter_archive (dl_msg_id, payload, reason, dead_lettered_at) VALUES ($1, '{}', $2, now() - interval '3 days')", [
      `old-${randomBytes(3).toString("hex")}`,
      small,
    ]);

    const day = await deadLetterReport(deps(k), 24);

    expect(day.stream).toEqual({
      key: k.deadLetter,
      scanned: 3,
      total: 3,
      by_reason: [expect.objectContaining({ reason: big, count: 2 }), expect.objectContaining({ reason: small, count: 1 })],
      error: null,
    });
    const ours = (report: typeof day) => report.archive.by_reason.filter((row) => row.reason === big || row.reason === small);
    expect(ours(day)).toEqual([expect.objectContaining({ reason: big, count: 2 }), expect.objectContaining({ reason: small, count: 1 })]);
    expect(ours(await deadLetterReport(deps(k), 168))).toEqual([expect.objectContaining({ reason: big, count: 2 }), expect.objectContaining({ reason: small, count: 2 })]);
  });

  it("reports an unreadable stream in stream.error and still counts the archive", async () => {
    const report = await deadLetterReport(deps(keys(), { redis: "refused" }), 24);
    expect(report.stream).toMatchObject({ scanned: 0, total: 0, error: "Redis is not reachable" });
    expect(report.archive.total).toBeGreaterThanOrEqual(0);
  });
});
