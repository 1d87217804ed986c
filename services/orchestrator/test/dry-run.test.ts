// --dry-run reports what every task would change and changes nothing: the database's rows and
// the streams are compared before and after.
import { sweepMemoKey } from "@m10/shared";
import { describe, expect, it } from "vitest";
import { baseEnv, runOrchestrator, task, uniqueKeys, useProcessEnvironment } from "./support/orchestrator.js";

const environment = useProcessEnvironment();
const keys = uniqueKeys();

async function candidate(sql: string): Promise<number> {
  const result = await environment.db.query<{ id: number }>(
    `INSERT INTO public.recovery_candidates (failure_match_id, suggestion, confidence, created_at, evaluated_at, evaluation_claimed_at, evaluation_claimed_by)
     VALUES ${sql} RETURNING id`,
  );
  return result.rows[0]!.id;
}

/** Something for every task to do. */
async function prepare(): Promise<void> {
  const { db, redis } = environment;
  // The memo is one key for every database on the test Redis: ids another file's sweep remembered would hide ours.
  await redis.del(sweepMemoKey({}));
  const evaluated = await candidate("(gen_random_uuid(), 's', 0.2, now(), now(), NULL, NULL)");
  await candidate("(gen_random_uuid(), 's', 0.2, now() - interval '1 hour', NULL, NULL, NULL)"); // never enqueued
  await candidate("(gen_random_uuid(), 's', 0.2, now(), NULL, now() - interval '1 hour', 'dead-worker')"); // expired lease
  const old = await candidate("(gen_random_uuid(), 's', 0.2, now() - interval '200 days', now(), NULL, NULL)");
  await db.query(
    `INSERT INTO m10_recovery.suggestion_provenance (suggestion_id, event_type, created_at)
     SELECT $1, 'created', now() - interval '100 days' FROM generate_series(1, 50)`,
    [old],
  );
  await db.query(`INSERT INTO m10_recovery.replay_log (original_msg_id, replayed_at) VALUES ('old', now() - interval '60 days')`);
  await db.query(
    `INSERT INTO m10_recovery.outbox (aggregate_type, aggregate_id, event_type, payload, processed_at)
     VALUES ('t', 'done', 'e', '{}', now() - interval '30 days'), ('t', 'due', 'e', '{}', NULL)`,
  );
  await db.query(`INSERT INTO m10_recovery.work_queue (candidate_id, claimed_at, claimed_by) VALUES (990001, now() - interval '1 hour', 'dead')`);
  await db.query(`INSERT INTO m10_recovery.distributed_locks (lock_name, holder_id, expires_at) VALUES ('test:expired', 'dead', now() - interval '1 hour')`);

  await redis.xgroup("CREATE", keys.M10_STREAM_KEY, keys.M10_CONSUMER_GROUP, "0", "MKSTREAM");
  await redis.xadd(keys.M10_STREAM_KEY, "*", "candidate_id", String(evaluated));
  await redis.call("XREADGROUP", "GROUP", keys.M10_CONSUMER_GROUP, "dead-worker", "COUNT", "10", "STREAMS", keys.M10_STREAM_KEY, ">");
  for (let i = 0; i < 4; i++) await redis.xadd(keys.M10_DEAD_LETTER_STREAM, "*", "original_msg_id", `0-${i + 1}`, "reason", "max_reclaim_attempts");
}

const TABLES = [
  "public.recovery_candidates",
  "m10_recovery.suggestion_provenance",
  "m10_recovery.suggestion_provenance_archive",
  "m10_recovery.suggestion_input_archive",
  "m10_recovery.replay_log",
  "m10_recovery.dead_letter_archive",
  "m10_recovery.outbox",
  "m10_recovery.work_queue",
  "m10_recovery.matview_refresh_log",
  "m10_recovery.mv_top_pending",
];

async function snapshot(): Promise<unknown> {
  const { db, redis } = environment;
  const counts: Record<string, number> = {};
  for (const table of TABLES) counts[table] = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]!.n;
  const rows = async (sql: string) => (await db.query(sql)).rows;
  return {
    counts,
    candidates: await rows("SELECT id, evaluated_at, evaluation_claimed_at, evaluation_claimed_by, updated_at FROM public.recovery_candidates ORDER BY id"),
    outbox: await rows("SELECT id, processed_at, claimed_at, retry_count FROM m10_recovery.outbox ORDER BY id"),
    workQueue: await rows("SELECT id, claimed_at, claimed_by, error_message FROM m10_recovery.work_queue ORDER BY id"),
    locks: await rows("SELECT * FROM m10_recovery.distributed_locks ORDER BY lock_name"),
    retentionJobs: await rows("SELECT * FROM m10_recovery.retention_jobs ORDER BY id"),
    stream: await redis.xrange(keys.M10_STREAM_KEY, "-", "+"),
    deadLetters: await redis.xrange(keys.M10_DEAD_LETTER_STREAM, "-", "+"),
    // id, consumer and delivery count (the idle time moves by itself).
    pending: ((await redis.call("XPENDING", keys.M10_STREAM_KEY, keys.M10_CONSUMER_GROUP, "-", "+", "100")) as unknown[][]).map(([id, consumer, , deliveries]) => [
      id,
      consumer,
      deliveries,
    ]),
    memo: await redis.exists(sweepMemoKey({})),
  };
}

describe("--dry-run", () => {
  it("reports what every task would change and leaves the database and the streams exactly as they were", async () => {
    await prepare();
    const env = baseEnv(environment.database.url, { ...keys, M10_DEAD_LETTER_MAX_LEN: "1", M10_SWEEP_AFTER_SECONDS: "60", M10_EVALUATION_LEASE_MS: "30000" });
    const before = await snapshot();

    const run = await runOrchestrator(["--dry-run"], env);

    expect(run.code, run.stderr).toBe(0);
    expect(run.report.dry_run).toBe(true);
    expect(await snapshot()).toEqual(before);
    expect(task(run.report, "dl_reconcile").details).toMatchObject({ acked_evaluated: 1, archived: 3, trimmed: 3 });
    expect(task(run.report, "matview_refresh").details).toMatchObject({ views: { mv_top_pending: { action: "would_refresh" } } });
    expect(task(run.report, "outbox_process").details).toMatchObject({ due: 1, claimed: 0 });
    const jobs = (task(run.report, "retention").details as { jobs: { job: string; eligible: number | null }[] }).jobs;
    expect(Object.fromEntries(jobs.map((job) => [job.job, job.eligible]))).toMatchObject({ provenance_archive: 50, replay_log_purge: 1, outbox_purge: 1 });
    expect(task(run.report, "reclaim_gc").details).toMatchObject({ expired_locks: 1, stalled_work: 1, expired_evaluation_leases: 1 });
    expect((task(run.report, "pending_sweep").details as { found: number }).found).toBeGreaterThanOrEqual(1);

    // The same state, run for real, does change.
    const real = await runOrchestrator([], env);
    expect(real.report.dry_run).toBe(false);
    expect(await snapshot()).not.toEqual(before);
  });
});
