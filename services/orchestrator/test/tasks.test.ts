// Each task's effect on prepared state, through the real m10-orchestrator process.
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { createTestDatabase, testStack, type TestDatabase } from "@m10/devstack/testing";
import { createLogger, createPool, createRedisClient, type Pool, type RedisClient } from "@m10/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { baseEnv, runClaimWorkerOnce, runOrchestrator, task, uniqueKeys } from "./support/orchestrator.js";
import { count, insertCandidate } from "./support/state.js";

let database: TestDatabase;
let db: Pool;
let redis: RedisClient;

beforeAll(async () => {
  database = await createTestDatabase();
  db = createPool(
    { DATABASE_URL: database.url, M10_DB_POOL_MAX: 4, M10_DB_CONNECT_TIMEOUT_MS: 5_000, M10_DB_STATEMENT_TIMEOUT_MS: 0 },
    createLogger("test", "silent"),
    "orchestrator-test",
  );
  redis = createRedisClient(testStack().redisUrl, { enableOfflineQueue: true });
});

afterAll(async () => {
  await db?.end();
  redis?.disconnect();
  await database?.drop();
});

async function pendingIds(keys: ReturnType<typeof uniqueKeys>): Promise<string[]> {
  const reply = (await redis.call("XPENDING", keys.M10_STREAM_KEY, keys.M10_CONSUMER_GROUP, "-", "+", "100")) as [string][];
  return reply.map((row) => row[0]);
}

describe("dl_reconcile", () => {
  it("acknowledges pending entries whose candidate is evaluated, whose entry is gone or that are already dead-lettered, and keeps the rest pending", async () => {
    const keys = uniqueKeys();
    const evaluated = await insertCandidate(db, { evaluated: true });
    const waiting = await insertCandidate(db);
    const deleted = await insertCandidate(db);
    const deadLettered = await insertCandidate(db);
    await redis.xgroup("CREATE", keys.M10_STREAM_KEY, keys.M10_CONSUMER_GROUP, "0", "MKSTREAM");
    const ids: Record<string, string> = {};
    for (const [name, id] of Object.entries({ evaluated, waiting, deleted, deadLettered })) {
      ids[name] = (await redis.xadd(keys.M10_STREAM_KEY, "*", "candidate_id", String(id), "priority", "0", "metadata", "{}"))!;
    }
    // A worker read everything and died without acknowledging.
    await redis.call("XREADGROUP", "GROUP", keys.M10_CONSUMER_GROUP, "dead-worker", "COUNT", "10", "STREAMS", keys.M10_STREAM_KEY, ">");
    await redis.xdel(keys.M10_STREAM_KEY, ids.deleted!);
    const dlId = await redis.xadd(
      keys.M10_DEAD_LETTER_STREAM,
      "*",
      "original_msg_id",
      ids.deadLettered!,
      "original_stream",
      keys.M10_STREAM_KEY,
      "reason",
      "max_reclaim_attempts",
      "dead_lettered_at",
      new Date().toISOString(),
      "consumer",
      "dead-worker",
      "orig_candidate_id",
      String(deadLettered),
    );

    const run = await runOrchestrator(["--tasks", "dl_reconcile"], baseEnv(database.url, keys));

    expect(run.code, JSON.stringify(run.report)).toBe(0);
    expect(task(run.report, "dl_reconcile")).toMatchObject({
      success: true,
      skipped: false,
      details: { pending_checked: 4, acked_evaluated: 1, acked_missing: 1, acked_dead_lettered: 1 },
    });
    expect(await pendingIds(keys)).toEqual([ids.waiting]);
    expect(await redis.xlen(keys.M10_STREAM_KEY)).toBe(1);
    const archived = await db.query("SELECT candidate_id, archived_by FROM m10_recovery.dead_letter_archive WHERE dl_msg_id = $1", [dlId]);
    expect(archived.rows).toEqual([{ candidate_id: deadLettered, archived_by: "dl_reconcile" }]);
  });

  it("archives the oldest dead letters beyond M10_DEAD_LETTER_MAX_LEN before deleting them from the stream", async () => {
    const keys = uniqueKeys();
    const dlIds: string[] = [];
    for (let i = 0; i < 5; i++) {
      dlIds.push(
        (await redis.xadd(keys.M10_DEAD_LETTER_STREAM, "*", "original_msg_id", `1-${i}`, "reason", i % 2 ? "invalid_message" : "max_reclaim_attempts", "orig_candidate_id", String(1000 + i)))!,
      );
    }

    const run = await runOrchestrator(["--tasks", "dl_reconcile"], baseEnv(database.url, { ...keys, M10_DEAD_LETTER_MAX_LEN: "3" }));

    expect(task(run.report, "dl_reconcile").details).toMatchObject({ archived: 2, trimmed: 2, dead_letter_length: 3 });
    const remaining = (await redis.xrange(keys.M10_DEAD_LETTER_STREAM, "-", "+")).map(([id]) => id);
    expect(remaining).toEqual(dlIds.slice(2));
    const archived = await db.query<{ dl_msg_id: string; archived_by: string; reason: string }>(
      "SELECT dl_msg_id, archived_by, reason FROM m10_recovery.dead_letter_archive WHERE dl_msg_id = ANY($1) ORDER BY dl_msg_id",
      [dlIds],
    );
    expect(archived.rows).toEqual([
      { dl_msg_id: dlIds[0], archived_by: "stream_trim", reason: "max_reclaim_attempts" },
      { dl_msg_id: dlIds[1], archived_by: "stream_trim", reason: "invalid_message" },
    ]);
  });
});

describe("matview_refresh", () => {
  it("refreshes a stale mv_top_pending with refresh_mv_tracked, logs it, and leaves a fresh one alone", async () => {
    const keys = uniqueKeys();
    const candidate = await insertCandidate(db);
    expect(await count(db, "m10_recovery.mv_top_pending WHERE candidate_id = $1", [candidate])).toBe(0);

    const first = await runOrchestrator(["--tasks", "matview"], baseEnv(database.url, keys));
    expect(task(first.report, "matview_refresh")).toMatchObject({
      success: true,
      details: { refreshed_count: 1, views: { mv_top_pending: { action: "refreshed", age_seconds: null } } },
    });
    expect(await count(db, "m10_recovery.mv_top_pending WHERE candidate_id = $1", [candidate])).toBe(1);
    expect(await count(db, "m10_recovery.matview_refresh_log WHERE view_name = 'mv_top_pending' AND success")).toBe(1);

    const second = await runOrchestrator(["--tasks", "matview_refresh"], baseEnv(database.url, keys));
    expect(task(second.report, "matview_refresh").details).toMatchObject({ refreshed_count: 0, views: { mv_top_pending: { action: "fresh" } } });
    expect(await count(db, "m10_recovery.matview_refresh_log")).toBe(1);

    // Ten minutes later it is stale again.
    await db.query("UPDATE m10_recovery.matview_refresh_log SET started_at = started_at - interval '10 minutes', completed_at = completed_at - interval '10 minutes'");
    const third = await runOrchestrator(["--tasks", "matview"], baseEnv(database.url, keys));
    const outcome = task(third.report, "matview_refresh").details as { views: { mv_top_pending: { action: string; age_seconds: number } } };
    expect(outcome.views.mv_top_pending.action).toBe("refreshed");
    expect(outcome.views.mv_top_pending.age_seconds).toBeGreaterThan(600);
    expect(await count(db, "m10_recovery.matview_refresh_log WHERE success")).toBe(2);
  });
});

describe("retention", () => {
  it("archives and deletes 10,000 old provenance rows in batches and records the counts in retention_jobs", async () => {
    const keys = uniqueKeys();
    const candidate = await insertCandidate(db, { ageSeconds: 200 * 86_400 });
    await db.query(
      `INSERT INTO m10_recovery.suggestion_provenance (suggestion_id, event_type, details, created_at)
       SELECT $1, 'rule_evaluated', jsonb_build_object('n', n), now() - interval '100 days' FROM generate_series(1, 10000) AS n`,
      [candidate],
    );
    await db.query(
      `INSERT INTO m10_recovery.suggestion_provenance (suggestion_id, event_type, created_at)
       SELECT $1, 'created', now() - interval '1 day' FROM generate_series(1, 5)`,
      [candidate],
    );
    const before = await db.query<{ ids: number[] }>("SELECT array_agg(id ORDER BY id) AS ids FROM m10_recovery.suggestion_provenance WHERE created_at < now() - interval '90 days'");

    const run = await runOrchestrator(["--tasks", "retention"], baseEnv(database.url, { ...keys, M10_RETENTION_BATCH_SIZE: "1000" }));

    expect(run.code).toBe(0);
    const jobs = (task(run.report, "retention").details as { jobs: { job: string; archived: number; deleted: number; recorded: boolean }[] }).jobs;
    expect(jobs.find((job) => job.job === "provenance_archive")).toMatchObject({ archived: 10_000, deleted: 10_000, recorded: true });
    expect(await count(db, "m10_recovery.suggestion_provenance")).toBe(5);
    expect(await count(db, "m10_recovery.suggestion_provenance_archive")).toBe(10_000);
    const after = await db.query<{ ids: number[] }>("SELECT array_agg(id ORDER BY id) AS ids FROM m10_recovery.suggestion_provenance_archive");
    expect(after.rows[0]!.ids).toEqual(before.rows[0]!.ids);
    const job = await db.query("SELECT rows_archived, rows_deleted, last_run > now() - interval '1 minute' AS recent FROM m10_recovery.retention_jobs WHERE name = 'provenance_archive'");
    expect(job.rows[0]).toEqual({ rows_archived: 10_000, rows_deleted: 10_000, recent: true });
  });

  it("purges replay_log, dead_letter_archive and processed outbox and work_queue rows past their retention, and keeps the rest", async () => {
    const keys = uniqueKeys();
    await db.query(`INSERT INTO m10_recovery.replay_log (original_msg_id, replayed_at) VALUES ('old-1', now() - interval '31 days'), ('new-1', now())`);
    await db.query(
      `INSERT INTO m10_recovery.dead_letter_archive (dl_msg_id, payload, reason, archived_at)
       VALUES ('dl-old', '{}', 'x', now() - interval '91 days'), ('dl-new', '{}', 'x', now())`,
    );
    await db.query(
      `INSERT INTO m10_recovery.outbox (aggregate_type, aggregate_id, event_type, payload, created_at, processed_at)
       VALUES ('t', 'old-done', 'e', '{}', now() - interval '30 days', now() - interval '8 days'),
              ('t', 'old-pending', 'e', '{}', now() - interval '30 days', NULL),
              ('t', 'new-done', 'e', '{}', now(), now())`,
    );
    await db.query(
      `INSERT INTO m10_recovery.work_queue (candidate_id, queued_at, processed_at)
       VALUES (900001, now() - interval '30 days', now() - interval '8 days'), (900002, now() - interval '30 days', NULL)`,
    );

    const run = await runOrchestrator(["--tasks", "retention"], baseEnv(database.url, keys));

    const jobs = (task(run.report, "retention").details as { jobs: { job: string; deleted: number }[] }).jobs;
    const deleted = Object.fromEntries(jobs.map((job) => [job.job, job.deleted]));
    expect(deleted).toMatchObject({ replay_log_purge: 1, dead_letter_archive_purge: 1, outbox_purge: 1, work_queue_purge: 1 });
    expect((await db.query("SELECT original_msg_id FROM m10_recovery.replay_log")).rows).toEqual([{ original_msg_id: "new-1" }]);
    expect((await db.query("SELECT dl_msg_id FROM m10_recovery.dead_letter_archive WHERE dl_msg_id LIKE 'dl-%'")).rows).toEqual([{ dl_msg_id: "dl-new" }]);
    expect((await db.query("SELECT aggregate_id FROM m10_recovery.outbox ORDER BY aggregate_id")).rows.map((r) => r.aggregate_id)).toEqual(["new-done", "old-pending"]);
    expect((await db.query("SELECT candidate_id FROM m10_recovery.work_queue")).rows).toEqual([{ candidate_id: 900002 }]);
  });
});

describe("reclaim_gc", () => {
  it("removes expired locks, releases stalled work_queue claims and clears expired evaluation leases, and nothing live", async () => {
    const keys = uniqueKeys();
    await db.query(
      `INSERT INTO m10_recovery.distributed_locks (lock_name, holder_id, expires_at)
       VALUES ('test:expired', 'dead-holder', now() - interval '1 minute'), ('test:live', 'live-holder', now() + interval '10 minutes')`,
    );
    await db.query(
      `INSERT INTO m10_recovery.work_queue (candidate_id, claimed_at, claimed_by)
       VALUES (910001, now() - interval '10 minutes', 'dead-worker'), (910002, now(), 'live-worker')`,
    );
    const expiredLease = await insertCandidate(db, { leaseAgeSeconds: 120 });
    const liveLease = await insertCandidate(db, { leaseAgeSeconds: 1 });

    const run = await runOrchestrator(["--tasks", "reclaim_gc"], baseEnv(database.url, { ...keys, M10_EVALUATION_LEASE_MS: "30000" }));

    expect(task(run.report, "reclaim_gc")).toMatchObject({ success: true, details: { expired_locks: 1, stalled_work: 1, expired_evaluation_leases: 1 } });
    expect((await db.query("SELECT lock_name FROM m10_recovery.distributed_locks WHERE lock_name LIKE 'test:%'")).rows).toEqual([{ lock_name: "test:live" }]);
    const work = await db.query("SELECT candidate_id, claimed_by, error_message FROM m10_recovery.work_queue WHERE candidate_id > 910000 ORDER BY candidate_id");
    expect(work.rows).toEqual([
      { candidate_id: 910001, claimed_by: null, error_message: "Released: worker stalled" },
      { candidate_id: 910002, claimed_by: "live-worker", error_message: null },
    ]);
    const leases = await db.query("SELECT id, evaluation_claimed_by FROM public.recovery_candidates WHERE id = ANY($1) ORDER BY id", [[expiredLease, liveLease]]);
    expect(leases.rows).toEqual([
      { id: expiredLease, evaluation_claimed_by: null },
      { id: liveLease, evaluation_claimed_by: "worker-that-died" },
    ]);
  });
});

describe("pending_sweep", () => {
  it("re-enqueues a candidate committed without an enqueue once it is older than M10_SWEEP_AFTER_SECONDS, and only that one; a claim worker then evaluates it", async () => {
    const keys = uniqueKeys();
    const lost = await insertCandidate(db, { ageSeconds: 600 });
    const fresh = await insertCandidate(db, { ageSeconds: 1 });
    const evaluated = await insertCandidate(db, { ageSeconds: 600, evaluated: true });
    const queued = await insertCandidate(db, { ageSeconds: 600 });
    await db.query("SELECT m10_recovery.enqueue_work($1)", [queued]);
    const env = baseEnv(database.url, { ...keys, M10_SWEEP_AFTER_SECONDS: "60" });

    const run = await runOrchestrator(["--tasks", "pending_sweep"], env);

    const details = task(run.report, "pending_sweep").details as { requeued: number; via_stream: number; candidate_ids: number[] };
    expect(details.candidate_ids).toContain(lost);
    expect(details.candidate_ids).not.toContain(fresh);
    expect(details.candidate_ids).not.toContain(evaluated);
    expect(details.candidate_ids).not.toContain(queued);
    const entries = await redis.xrange(keys.M10_STREAM_KEY, "-", "+");
    const enqueued = entries.map(([, fields]) => Number(fields[fields.indexOf("candidate_id") + 1]));
    expect(enqueued).toContain(lost);
    expect(enqueued.filter((id) => id === lost)).toHaveLength(1);

    // The next run does not pile a second copy onto the stream.
    const again = await runOrchestrator(["--tasks", "pending_sweep"], env);
    expect((task(again.report, "pending_sweep").details as { candidate_ids: number[] }).candidate_ids).not.toContain(lost);
    expect(await redis.xlen(keys.M10_STREAM_KEY)).toBe(entries.length);

    // The real claim worker drains what the sweep queued and evaluates the lost candidate.
    const worker = await runClaimWorkerOnce({ ...env, M10_HEALTH_PORT: "0" });
    expect(worker.code, worker.stderr).toBe(0);
    const state = await db.query("SELECT evaluated_at IS NOT NULL AS evaluated FROM public.recovery_candidates WHERE id = $1", [lost]);
    expect(state.rows[0]).toEqual({ evaluated: true });
  });
});

describe("outbox_process", () => {
  it("delivers one batch of due outbox events through the delivery engine", async () => {
    const keys = uniqueKeys();
    const received: { key: string | undefined; body: string }[] = [];
    const server = createServer((req: IncomingMessage, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
      req.on("end", () => {
        received.push({ key: req.headers["idempotency-key"] as string | undefined, body });
        res.writeHead(200).end("ok");
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    try {
      await db.query("UPDATE m10_recovery.outbox SET processed_at = now() WHERE processed_at IS NULL");
      const published = await db.query<{ id: number }>("SELECT m10_recovery.publish_outbox('test', 'a-1', 'http:webhook', $1::jsonb) AS id", [
        JSON.stringify({ url, body: { hello: "world" } }),
      ]);

      const run = await runOrchestrator(["--tasks", "outbox"], baseEnv(database.url, keys));

      expect(task(run.report, "outbox_process")).toMatchObject({ success: true, details: { claimed: 1, delivered: 1 } });
      expect(received).toHaveLength(1);
      expect(JSON.parse(received[0]!.body)).toEqual({ hello: "world" });
      const row = await db.query("SELECT processed_at IS NOT NULL AS done FROM m10_recovery.outbox WHERE id = $1", [published.rows[0]!.id]);
      expect(row.rows[0]).toEqual({ done: true });
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
