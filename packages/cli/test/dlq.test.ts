// m10ctl dlq against real Redis streams and PostgreSQL.
import { claimOutboxEvents, completeOutboxEvent, deadLetterOutboxEvent, outboxIdempotencyKey } from "@m10/shared";
import { describe, expect, it } from "vitest";
import { candidate as candidateRow, deadLetter as deadLetterOf } from "./support/dead-letters.js";
import { useCliEnvironment } from "./support/environment.js";
import { cliEnv, m10ctl, m10ctlJson, uniqueKeys } from "./support/m10ctl.js";

const t = useCliEnvironment();

const candidate = (evaluated = false) => candidateRow(t, evaluated);
const deadLetter = (keys: ReturnType<typeof uniqueKeys>, candidateId: number, reason?: string) => deadLetterOf(t, keys, candidateId, reason);

describe("m10ctl dlq replay", () => {
  it("replays an entry once: a second replay reports already_replayed, one replay_log row, one new stream entry", async () => {
    const keys = uniqueKeys();
    const env = cliEnv(t.database.url, keys);
    const id = await candidate();
    const dlId = await deadLetter(keys, id);
    expect(await t.redis.xlen(keys.M10_STREAM_KEY)).toBe(0);

    const first = await m10ctlJson(["dlq", "replay", dlId], env);
    const second = await m10ctlJson(["dlq", "replay", dlId], env);

    expect(first.code, first.stderr).toBe(0);
    expect(first.json).toMatchObject({ id: dlId, status: "replayed", source: "stream", kind: "evaluation", candidate_id: id, dry_run: false });
    expect(second.code).toBe(0);
    expect(second.json).toMatchObject({ id: dlId, status: "already_replayed", candidate_id: id });
    const log = await t.db.query("SELECT dl_msg_id, candidate_id, new_msg_id FROM m10_recovery.replay_log WHERE candidate_id = $1", [id]);
    expect(log.rows).toHaveLength(1);
    expect(log.rows[0]).toMatchObject({ dl_msg_id: dlId, candidate_id: id, new_msg_id: first.json.new_message_id });
    const stream = await t.redis.xrange(keys.M10_STREAM_KEY, "-", "+");
    expect(stream).toHaveLength(1);
    expect(stream[0]![0]).toBe(first.json.new_message_id);
    expect(stream[0]![1]).toEqual(expect.arrayContaining(["candidate_id", String(id), "replayed_from_dl", dlId]));
    expect(await t.redis.xlen(keys.M10_DEAD_LETTER_STREAM)).toBe(0);
  });

  it("refuses to replay a candidate that is already evaluated, with exit code 1", async () => {
    const keys = uniqueKeys();
    const id = await candidate();
    const dlId = await deadLetter(keys, id);
    await t.db.query("UPDATE public.recovery_candidates SET evaluated_at = now() WHERE id = $1", [id]);

    const run = await m10ctlJson(["dlq", "replay", dlId], cliEnv(t.database.url, keys));

    expect(run.code).toBe(1);
    expect(run.json).toMatchObject({ status: "already_evaluated", candidate_id: id });
    expect(await t.redis.xlen(keys.M10_STREAM_KEY)).toBe(0);
    expect(await t.redis.xlen(keys.M10_DEAD_LETTER_STREAM)).toBe(1);
  });

  it("re-publishes a dead-lettered outbox event once", async () => {
    const keys = uniqueKeys();
    const event = await t.db.query<{ id: number }>(
      `INSERT INTO m10_recovery.outbox (aggregate_type, aggregate_id, event_type, payload, processed_at, processed_by, retry_count)
       VALUES ('recovery_candidate', '77', 'recovery.suggested', '{"x":1}', now(), 'dead-letter', 6) RETURNING id`,
    );
    const eventId = event.rows[0]!.id;
    await t.db.query(
      `SELECT m10_recovery.archive_dead_letter(NULL, 'outbox:' || $1, 77, NULL,
              jsonb_build_object('id', $1::bigint, 'aggregate_type', 'recovery_candidate', 'aggregate_id', '77', 'event_type', 'recovery.suggested', 'payload', '{"x":1}'::jsonb),
              'outbox_max_retries', 6, now(), 'outbox-processor')`,
      [eventId],
    );
    const env = cliEnv(t.database.url, keys);

    const first = await m10ctlJson(["dlq", "replay", `outbox:${eventId}`], env);
    const second = await m10ctlJson(["dlq", "replay", `outbox:${eventId}`], env);

    expect(first.json).toMatchObject({ status: "replayed", kind: "outbox", source: "archive" });
    expect(second.json).toMatchObject({ status: "already_replayed", kind: "outbox" });
    const pending = await t.db.query("SELECT aggregate_id, event_type, payload FROM m10_recovery.outbox WHERE processed_at IS NULL AND aggregate_id = '77'");
    expect(pending.rows).toEqual([{ aggregate_id: "77", event_type: "recovery.suggested", payload: { x: 1 } }]);
    expect(first.json.new_message_id).toMatch(/^outbox:\d+$/);
  });

  it("replays an old outbox dead letter ahead of a newer pending version of its aggregate, under the original key", async () => {
    const keys = uniqueKeys();
    const publish = async (payload: unknown) =>
      (await t.db.query<{ id: number }>("SELECT m10_recovery.publish_outbox('recovery_candidate', '78', 'recovery.outcome_reported', $1::jsonb) AS id", [JSON.stringify(payload)])).rows[0]!.id;
    // The processor's side (other tests' events in this database left aside): claim the first version, fail it for good.
    const claim = async (processor: string) => (await claimOutboxEvents(t.db, processor, 100, 300)).filter((event) => event.aggregate_id === "78");
    await publish({ execution_status: "executing" });
    const [original] = await claim("processor-1");
    expect(await deadLetterOutboxEvent(t.db, original!.id, "processor-1", "outbox_permanent_failure", "HTTP 400")).toEqual(expect.any(Number));
    const newer = await publish({ execution_status: "succeeded" });

    const run = await m10ctlJson(["dlq", "replay", `outbox:${original!.id}`], cliEnv(t.database.url, keys));

    expect(run.json).toMatchObject({ status: "replayed", kind: "outbox" });
    expect(run.json.new_message_id).not.toBe(`outbox:${newer}`);
    const [replayed] = await claim("processor-1");
    expect(replayed).toMatchObject({ payload: { execution_status: "executing" }, version: original!.version, retry_count: 0 });
    expect(outboxIdempotencyKey(replayed!)).toBe(outboxIdempotencyKey(original!));
    expect(await claim("processor-2")).toEqual([]);
    expect(await completeOutboxEvent(t.db, replayed!.id, "processor-1", { success: true })).toBe(true);
    const [next] = await claim("processor-1");
    expect(next).toMatchObject({ id: newer, payload: { execution_status: "succeeded" } });
    expect(outboxIdempotencyKey(next!)).not.toBe(outboxIdempotencyKey(original!));
  });

  it("replay --all --dry-run reports every entry and changes nothing; replay --all replays each once", async () => {
    const keys = uniqueKeys();
    const env = cliEnv(t.database.url, keys);
    const waiting = [await candidate(), await candidate()];
    const done = await candidate();
    for (const id of waiting) await deadLetter(keys, id);
    await deadLetter(keys, done);
    await t.db.query("UPDATE public.recovery_candidates SET evaluated_at = now() WHERE id = $1", [done]);

    const dry = await m10ctlJson(["dlq", "replay", "--all", "--dry-run"], env);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.json).toMatchObject({ name: "dl_reconcile", success: true, details: { dry_run: true, total: 3, by_status: { would_replay: 2, already_evaluated: 1 } } });
    expect(await t.redis.xlen(keys.M10_STREAM_KEY)).toBe(0);
    expect(await t.redis.xlen(keys.M10_DEAD_LETTER_STREAM)).toBe(3);

    const real = await m10ctlJson(["dlq", "replay", "--all"], env);
    expect(real.json).toMatchObject({ success: true, details: { total: 3, by_status: { replayed: 2, already_evaluated: 1 } } });
    expect(await t.redis.xlen(keys.M10_STREAM_KEY)).toBe(2);
    const again = await m10ctlJson(["dlq", "replay", "--all"], env);
    expect(again.json).toMatchObject({ details: { total: 1, by_status: { already_evaluated: 1 } } });
    expect(await t.redis.xlen(keys.M10_STREAM_KEY)).toBe(2);
  });

  it("exits 1 for an unknown id and 2 without an id or --all", async () => {
    const env = cliEnv(t.database.url, uniqueKeys());
    const unknown = await m10ctlJson(["dlq", "replay", "1-1"], env);
    expect(unknown.code).toBe(1);
    expect(unknown.json).toMatchObject({ status: "not_found" });
    const usage = await m10ctlJson(["dlq", "replay"], env);
    expect(usage.code).toBe(2);
    expect(usage.json).toHaveProperty("error");
  });
});

describe("m10ctl dlq list, inspect, resolve, report", () => {
  it("lists stream entries and archive rows, newest first", async () => {
    const keys = uniqueKeys();
    const id = await candidate();
    const dlId = await deadLetter(keys, id, "invalid_message");
    const run = await m10ctlJson(["dlq", "list", "--limit", "5"], cliEnv(t.database.url, keys));
    expect(run.code).toBe(0);
    expect(run.json).toMatchObject({
      stream: { key: keys.M10_DEAD_LETTER_STREAM, length: 1, entries: [{ id: dlId, reason: "invalid_message", candidate_id: id }] },
      archive: { rows: expect.arrayContaining([expect.objectContaining({ dl_msg_id: dlId, candidate_id: id })]) },
    });
    const text = await m10ctl(["dlq", "list", "--source", "stream"], cliEnv(t.database.url, keys));
    expect(text.stdout).toContain(dlId);
  });

  it("inspects one dead letter: stream fields, archive row, replay state and candidate", async () => {
    const keys = uniqueKeys();
    const id = await candidate();
    const dlId = await deadLetter(keys, id);
    const run = await m10ctlJson(["dlq", "inspect", dlId], cliEnv(t.database.url, keys));
    expect(run.code).toBe(0);
    expect(run.json).toMatchObject({
      id: dlId,
      stream_entry: { id: dlId, reason: "max_reclaim_attempts", candidateId: id },
      archive: { dl_msg_id: dlId, candidate_id: id, reason: "max_reclaim_attempts" },
      replay: null,
      candidate: { id, evaluated_at: null },
    });
    const missing = await m10ctlJson(["dlq", "inspect", "9-9"], cliEnv(t.database.url, keys));
    expect(missing.code).toBe(1);
    expect(missing.json.error).toContain("9-9");
  });

  it("resolves a dead letter: archived, logged as resolved, removed from the stream, and no longer replayable", async () => {
    const keys = uniqueKeys();
    const env = cliEnv(t.database.url, keys);
    const id = await candidate();
    const dlId = await deadLetter(keys, id);
    const run = await m10ctlJson(["dlq", "resolve", dlId, "--note", "fixed upstream"], env);
    expect(run.code).toBe(0);
    expect(run.json).toMatchObject({ id: dlId, status: "resolved", removed_from_stream: true });
    expect(await t.redis.xlen(keys.M10_DEAD_LETTER_STREAM)).toBe(0);
    const log = await t.db.query("SELECT status, error_message FROM m10_recovery.replay_log WHERE dl_msg_id = $1", [dlId]);
    expect(log.rows).toEqual([{ status: "resolved", error_message: "fixed upstream" }]);
    const replay = await m10ctlJson(["dlq", "replay", dlId], env);
    expect(replay.json).toMatchObject({ status: "already_replayed", source: "archive" });
    expect(await t.redis.xlen(keys.M10_STREAM_KEY)).toBe(0);
  });

  it("reports dead letters of the last N hours grouped by reason, largest group first", async () => {
    const keys = uniqueKeys();
    const reasons = ["max_reclaim_attempts", "max_reclaim_attempts", "max_reclaim_attempts", "invalid_message"];
    await t.db.query("DELETE FROM m10_recovery.dead_letter_archive");
    for (const reason of reasons) await deadLetter(keys, await candidate(), reason);
    await t.db.query(
      `INSERT INTO m10_recovery.dead_letter_archive (dl_msg_id, payload, reason, dead_lettered_at) VALUES ('old-1', '{}', 'outbox_max_retries', now() - interval '3 days')`,
    );

    const run = await m10ctlJson(["dlq", "report", "--hours", "24"], cliEnv(t.database.url, keys));

    expect(run.code).toBe(0);
    expect(run.json).toMatchObject({
      hours: 24,
      archive: { total: 4, by_reason: [expect.objectContaining({ reason: "max_reclaim_attempts", count: 3 }), expect.objectContaining({ reason: "invalid_message", count: 1 })] },
      stream: { total: 4, by_reason: [expect.objectContaining({ reason: "max_reclaim_attempts", count: 3 }), expect.objectContaining({ reason: "invalid_message", count: 1 })] },
    });
    const week = await m10ctlJson(["dlq", "report", "--hours", "168"], cliEnv(t.database.url, keys));
    expect((week.json.archive as { total: number }).total).toBe(5);
    const text = await m10ctl(["dlq", "report"], cliEnv(t.database.url, keys));
    expect(text.stdout).toMatch(/max_reclaim_attempts\s*│\s*3/);
  });
});

describe("m10ctl dlq with the Phase 7 DLQ tool's verbs and flags (--stream, --id, --count, --hours, reprocess)", () => {
  it("lists, inspects, reprocesses twice (processed once), resolves and reports as the seed writes them", async () => {
    const keys = uniqueKeys();
    const env = cliEnv(t.database.url, keys);
    const stream = keys.M10_DEAD_LETTER_STREAM;
    const first = await candidate();
    const second = await candidate();
    const firstDl = await deadLetter(keys, first, "invalid_message");
    const secondDl = await deadLetter(keys, second);

    const list = await m10ctlJson(["dlq", "list", "--stream", stream, "--count", "1"], env);
    expect(list.code, list.stderr).toBe(0);
    expect(list.json).toMatchObject({ stream: { key: stream, length: 2, entries: [{ id: secondDl, candidate_id: second }] } });

    const inspect = await m10ctlJson(["dlq", "inspect", "--stream", stream, "--id", firstDl], env);
    expect(inspect.code, inspect.stderr).toBe(0);
    expect(inspect.json).toMatchObject({ id: firstDl, stream_entry: { id: firstDl, reason: "invalid_message" }, replay: null, candidate: { id: first } });

    const again = [];
    for (let i = 0; i < 2; i++) again.push(await m10ctlJson(["dlq", "reprocess", "--stream", stream, "--id", secondDl], env));
    expect(again.map((r) => [r.code, r.json.status])).toEqual([
      [0, "replayed"],
      [0, "already_replayed"],
    ]);
    expect((await t.db.query("SELECT 1 FROM m10_recovery.replay_log WHERE dl_msg_id = $1", [secondDl])).rows).toHaveLength(1);
    const requeued = await t.redis.xrange(keys.M10_STREAM_KEY, "-", "+");
    expect(requeued).toHaveLength(1);
    expect(requeued[0]![1]).toEqual(expect.arrayContaining(["candidate_id", String(second)]));

    const resolve = await m10ctlJson(["dlq", "resolve", "--stream", stream, "--id", firstDl], env);
    expect(resolve.code, resolve.stderr).toBe(0);
    expect(resolve.json).toMatchObject({ id: firstDl, status: "resolved", removed_from_stream: true });
    expect(await t.redis.xlen(stream)).toBe(0);

    const report = await m10ctlJson(["dlq", "report", "--stream", stream, "--hours", "24"], env);
    expect(report.code, report.stderr).toBe(0);
    expect(report.json).toMatchObject({ hours: 24, stream: { key: stream, total: 0 }, replays: { by_status: expect.arrayContaining([expect.objectContaining({ status: "resolved" })]) } });
  });

  it("refuses a --stream that does not exist (the seed's identity.dlq) with exit 2 naming M10's dead-letter stream, and an id given twice", async () => {
    const keys = uniqueKeys();
    const env = cliEnv(t.database.url, keys);
    const run = await m10ctlJson(["dlq", "list", "--stream", "identity.dlq", "--count", "20"], env);
    expect(run.code).toBe(2);
    expect(run.json.error).toContain(keys.M10_DEAD_LETTER_STREAM);
    const twice = await m10ctlJson(["dlq", "inspect", "1-0", "--id", "2-0"], env);
    expect(twice.code).toBe(2);
    const none = await m10ctlJson(["dlq", "resolve"], env);
    expect(none.code).toBe(2);
  });
});
