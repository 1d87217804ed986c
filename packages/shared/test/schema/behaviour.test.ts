// The SQL functions' behaviour (docs/architecture.md §4.3) and what the schema decisions add
// ("Decision N" below is schema decision N of §4.1), against real PostgreSQL.
import type pg from "pg";
import { beforeEach, describe, expect, it } from "vitest";
import { useTestEnvironment } from "../support/environment.js";

// One connection: the statements run one after the other, as on a single session.
const t = useTestEnvironment({ poolMax: 1 });

async function one<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T> {
  const result = await t.pool.query<T>(sql, params);
  if (!result.rows[0]) throw new Error(`no row from ${sql}`);
  return result.rows[0];
}

async function value<T>(sql: string, params: unknown[] = []): Promise<T> {
  const row = await one<Record<string, T>>(sql, params);
  return Object.values(row)[0] as T;
}

async function insertCandidate(fmid: string): Promise<number> {
  return value<number>(
    "INSERT INTO recovery_candidates (failure_match_id, suggestion, confidence, error_code) VALUES ($1, 'retry', 0.2, 'TIMEOUT') RETURNING id",
    [fmid],
  );
}

describe("locks", () => {
  beforeEach(async () => {
    await t.pool.query("DELETE FROM m10_recovery.distributed_locks");
  });

  it("acquire: A gets it, B is refused while A holds it, A re-acquires, B takes it after expiry", async () => {
    expect(await value("SELECT m10_recovery.acquire_lock('job', 'A', 60)")).toBe(true);
    expect(await value("SELECT m10_recovery.acquire_lock('job', 'B', 60)")).toBe(false);
    expect(await value("SELECT m10_recovery.acquire_lock('job', 'A', 60)")).toBe(true);
    await t.pool.query("UPDATE m10_recovery.distributed_locks SET expires_at = now() - interval '1 second' WHERE lock_name = 'job'");
    expect(await value("SELECT m10_recovery.acquire_lock('job', 'B', 60)")).toBe(true);
    expect(await value("SELECT holder_id FROM m10_recovery.distributed_locks WHERE lock_name = 'job'")).toBe("B");
  });

  it("a TTL of 0 creates an already-expired lock, and cleanup_expired_locks removes it and reports 1", async () => {
    expect(await value("SELECT m10_recovery.acquire_lock('zero', 'A', 0)")).toBe(true);
    // A fixed delay on purpose: the clock has to move past the lock's expires_at (its now()).
    await t.pool.query("SELECT pg_sleep(0.01)");
    expect(await value("SELECT m10_recovery.cleanup_expired_locks()")).toBe(1);
  });

  it("release and extend work only for the holder", async () => {
    await t.pool.query("SELECT m10_recovery.acquire_lock('job', 'A', 60)");
    expect(await value("SELECT m10_recovery.extend_lock('job', 'B', 600)")).toBe(false);
    expect(await value("SELECT m10_recovery.extend_lock('job', 'A', 600)")).toBe(true);
    expect(await value("SELECT m10_recovery.release_lock('job', 'B')")).toBe(false);
    expect(await value("SELECT m10_recovery.release_lock('job', 'A')")).toBe(true);
    expect(await value("SELECT m10_recovery.release_lock('job', 'A')")).toBe(false);
  });
});

describe("replay, archive and publish idempotency", () => {
  it("record_replay answers (f, id) then (t, same id); a 2-argument call works", async () => {
    const first = await one("SELECT already_replayed, replay_id FROM m10_recovery.record_replay('orig-1', 'dl-1', NULL, NULL, 'new-1', 'runbook')");
    const second = await one("SELECT already_replayed, replay_id FROM m10_recovery.record_replay('orig-1', 'dl-1', NULL, NULL, 'new-1', 'runbook')");
    expect(first).toMatchObject({ already_replayed: false });
    expect(second).toEqual({ already_replayed: true, replay_id: first.replay_id });
    expect(await one("SELECT already_replayed FROM m10_recovery.record_replay('orig-2', 'dl-2')")).toEqual({ already_replayed: false });
  });

  it("archive_dead_letter returns the same id for the same dl_msg_id without changing the payload; NULL ids always insert", async () => {
    const a = await value<number>("SELECT m10_recovery.archive_dead_letter('dl-x', 'o-1', 1, NULL, '{\"v\":1}'::jsonb, 'r')");
    const b = await value<number>("SELECT m10_recovery.archive_dead_letter('dl-x', 'o-1', 1, NULL, '{\"v\":2}'::jsonb, 'r')");
    expect(b).toBe(a);
    expect(await value("SELECT payload FROM m10_recovery.dead_letter_archive WHERE id = $1", [a])).toEqual({ v: 1 });
    const n1 = await value<number>("SELECT m10_recovery.archive_dead_letter(NULL, NULL, NULL, NULL, '{}'::jsonb)");
    const n2 = await value<number>("SELECT m10_recovery.archive_dead_letter(NULL, NULL, NULL, NULL, '{}'::jsonb)");
    expect(n2).not.toBe(n1);
  });

  it("publish_outbox: every call is a new version of the aggregate (version = id, retry_count 0); nothing already written changes", async () => {
    const first = await value<number>("SELECT m10_recovery.publish_outbox('candidate', '1', 'recovery.suggested', '{\"n\":1}')");
    const again = await value<number>("SELECT m10_recovery.publish_outbox('candidate', '1', 'recovery.suggested', '{\"n\":2}')");
    expect(again).toBeGreaterThan(first);
    const rows = await t.pool.query("SELECT id, version, payload, retry_count FROM m10_recovery.outbox WHERE id = ANY($1) ORDER BY id", [[first, again]]);
    expect(rows.rows).toEqual([
      { id: first, version: first, payload: { n: 1 }, retry_count: 0 },
      { id: again, version: again, payload: { n: 2 }, retry_count: 0 },
    ]);
  });
});

describe("outbox leases (Decision 4)", () => {
  beforeEach(async () => {
    await t.pool.query("DELETE FROM m10_recovery.outbox");
  });

  it("a claim stamps the lease; a second processor gets nothing until the lease expires, then re-claims", async () => {
    const id = await value<number>("SELECT m10_recovery.publish_outbox('a', '1', 'e', '{}')");
    const claimed = await t.pool.query("SELECT id FROM m10_recovery.claim_outbox_events('p1', 10)");
    expect(claimed.rows).toEqual([{ id }]);
    expect(await one("SELECT claimed_by, claimed_at IS NOT NULL AS leased FROM m10_recovery.outbox WHERE id = $1", [id])).toEqual({ claimed_by: "p1", leased: true });
    expect((await t.pool.query("SELECT id FROM m10_recovery.claim_outbox_events('p2', 10)")).rowCount).toBe(0);
    await t.pool.query("UPDATE m10_recovery.outbox SET claimed_at = now() - interval '301 seconds' WHERE id = $1", [id]);
    expect((await t.pool.query("SELECT id FROM m10_recovery.claim_outbox_events('p2', 10)")).rows).toEqual([{ id }]);
  });

  it("only the claim's holder can complete an event", async () => {
    const id = await value<number>("SELECT m10_recovery.publish_outbox('a', '2', 'e', '{}')");
    await t.pool.query("SELECT * FROM m10_recovery.claim_outbox_events('p1', 10)");
    expect(await value("SELECT m10_recovery.complete_outbox_event($1, 'p2', true)", [id])).toBe(false);
    expect(await value("SELECT m10_recovery.complete_outbox_event($1, 'p1', true)", [id])).toBe(true);
    expect(await one("SELECT processed_by, claimed_at, claimed_by FROM m10_recovery.outbox WHERE id = $1", [id])).toEqual({
      processed_by: "p1",
      claimed_at: null,
      claimed_by: null,
    });
    expect(await value("SELECT m10_recovery.complete_outbox_event(999999, 'p1', true)")).toBe(false);
  });

  it("a failure records last_error, counts the retry, clears the claim and schedules the next attempt (30·2^n s by default)", async () => {
    const id = await value<number>("SELECT m10_recovery.publish_outbox('a', '3', 'e', '{}')");
    await t.pool.query("SELECT * FROM m10_recovery.claim_outbox_events('w1', 10)");
    expect(await value("SELECT m10_recovery.complete_outbox_event($1, 'w1', false, 'boom')", [id])).toBe(true);
    const row = await one<{ retry_count: number; last_error: string; claimed_by: string | null; delay: number; same: boolean }>(
      `SELECT retry_count, last_error, claimed_by, round(extract(epoch FROM next_retry_at - now()))::int AS delay,
              next_retry_at = process_after AS same FROM m10_recovery.outbox WHERE id = $1`,
      [id],
    );
    expect(row).toEqual({ retry_count: 1, last_error: "boom", claimed_by: null, delay: 30, same: true });
    expect((await t.pool.query("SELECT * FROM m10_recovery.claim_outbox_events('w1', 10)")).rowCount).toBe(0);
  });

  it("the runbook's stuck-retry reset (next_retry_at = NOW()) makes the event due at once through the sync trigger", async () => {
    const id = await value<number>("SELECT m10_recovery.publish_outbox('a', '4', 'e', '{}')");
    await t.pool.query("SELECT * FROM m10_recovery.claim_outbox_events('w1', 10)");
    await t.pool.query("SELECT m10_recovery.complete_outbox_event($1, 'w1', false, 'boom', 3600)", [id]);
    await t.pool.query("UPDATE m10_recovery.outbox SET retry_count = 0, next_retry_at = NOW(), last_error = NULL WHERE id = $1", [id]);
    expect(await value("SELECT process_after = next_retry_at FROM m10_recovery.outbox WHERE id = $1", [id])).toBe(true);
    expect((await t.pool.query("SELECT id FROM m10_recovery.claim_outbox_events('w1', 10)")).rows).toEqual([{ id }]);
  });

  it("the claim takes only an aggregate's oldest pending version, and nothing of the aggregate while one is leased", async () => {
    const v1 = await value<number>("SELECT m10_recovery.publish_outbox('a', 'ordered', 'e', '{}')");
    const v2 = await value<number>("SELECT m10_recovery.publish_outbox('a', 'ordered', 'f', '{}')");
    const other = await value<number>("SELECT m10_recovery.publish_outbox('a', 'other', 'e', '{}')");
    expect((await t.pool.query("SELECT id, version FROM m10_recovery.claim_outbox_events('p1', 10)")).rows).toEqual([
      { id: v1, version: v1 },
      { id: other, version: other },
    ]);
    expect((await t.pool.query("SELECT id FROM m10_recovery.claim_outbox_events('p2', 10)")).rowCount).toBe(0);
    // A replayed older version (explicit version) goes before v2, but not while v2 is leased.
    await t.pool.query("SELECT m10_recovery.complete_outbox_event($1, 'p1', true)", [v1]);
    expect((await t.pool.query("SELECT id FROM m10_recovery.claim_outbox_events('p2', 10)")).rows).toEqual([{ id: v2 }]);
    const replay = await value<number>("INSERT INTO m10_recovery.outbox (aggregate_type, aggregate_id, event_type, payload, version) VALUES ('a', 'ordered', 'e', '{}', $1) RETURNING id", [v1]);
    expect((await t.pool.query("SELECT id FROM m10_recovery.claim_outbox_events('p3', 10)")).rowCount).toBe(0);
    await t.pool.query("UPDATE m10_recovery.outbox SET claimed_at = NULL, claimed_by = NULL WHERE id = $1", [v2]);
    expect((await t.pool.query("SELECT id, version FROM m10_recovery.claim_outbox_events('p3', 10)")).rows).toEqual([{ id: replay, version: v1 }]);
  });

  it("updated_at moves on every update", async () => {
    const id = await value<number>("SELECT m10_recovery.publish_outbox('a', '5', 'e', '{}')");
    const before = await value<Date>("SELECT updated_at FROM m10_recovery.outbox WHERE id = $1", [id]);
    // A fixed delay on purpose: the next update's now() must differ from the first.
    await t.pool.query("SELECT pg_sleep(0.01)");
    await t.pool.query("UPDATE m10_recovery.outbox SET last_error = 'x' WHERE id = $1", [id]);
    const after = await value<Date>("SELECT updated_at FROM m10_recovery.outbox WHERE id = $1", [id]);
    expect(after.getTime()).toBeGreaterThan(before.getTime());
  });
});

describe("dead_letter_archive generated columns (Decision 2)", () => {
  it("failure_reason mirrors reason and failed_at is dead_lettered_at, else archived_at", async () => {
    const at = "2026-01-02T03:04:05Z";
    const id = await value<number>("SELECT m10_recovery.archive_dead_letter('gen-1', 'o', NULL, NULL, '{}'::jsonb, 'max_reclaims', 3, $1::timestamptz)", [at]);
    const row = await one<{ failure_reason: string; failed_at: Date }>("SELECT failure_reason, failed_at FROM m10_recovery.dead_letter_archive WHERE id = $1", [id]);
    expect(row.failure_reason).toBe("max_reclaims");
    expect(row.failed_at.toISOString()).toBe("2026-01-02T03:04:05.000Z");
  });
});

describe("work queue", () => {
  beforeEach(async () => {
    await t.pool.query("DELETE FROM m10_recovery.work_queue");
  });

  it("enqueue_work twice keeps one pending row (GREATEST priority, retry_count + 1); after completion a new row", async () => {
    const a = await value<number>("SELECT m10_recovery.enqueue_work(101, NULL, 1)");
    const b = await value<number>("SELECT m10_recovery.enqueue_work(101, NULL, 5)");
    expect(b).toBe(a);
    expect(await one("SELECT priority, retry_count FROM m10_recovery.work_queue WHERE id = $1", [a])).toEqual({ priority: 5, retry_count: 1 });
    await t.pool.query("SELECT * FROM m10_recovery.claim_work('w', 10)");
    await t.pool.query("SELECT m10_recovery.complete_work($1, TRUE, NULL, 'w')", [a]);
    expect(await value("SELECT m10_recovery.enqueue_work(101)")).not.toBe(a);
  });

  it("claim_work claims once; a failed completion unclaims it for another try; success keeps claimed_by", async () => {
    const id = await value<number>("SELECT m10_recovery.enqueue_work(202)");
    expect((await t.pool.query("SELECT work_id FROM m10_recovery.claim_work('w1', 10)")).rows).toEqual([{ work_id: id }]);
    expect((await t.pool.query("SELECT work_id FROM m10_recovery.claim_work('w2', 10)")).rowCount).toBe(0);
    await t.pool.query("SELECT m10_recovery.complete_work($1, FALSE, 'Manual failure', 'w1')", [id]);
    expect(await one("SELECT claimed_at, retry_count, error_message FROM m10_recovery.work_queue WHERE id = $1", [id])).toEqual({
      claimed_at: null,
      retry_count: 1,
      error_message: "Manual failure",
    });
    await t.pool.query("SELECT * FROM m10_recovery.claim_work('w2', 10)");
    await t.pool.query("SELECT m10_recovery.complete_work($1, TRUE, NULL, 'w2')", [id]);
    expect(await one("SELECT claimed_by, processed_at IS NOT NULL AS done FROM m10_recovery.work_queue WHERE id = $1", [id])).toEqual({ claimed_by: "w2", done: true });
  });

  it("release_stalled_work(300) releases claims older than five minutes only", async () => {
    const old = await value<number>("SELECT m10_recovery.enqueue_work(301)");
    const recent = await value<number>("SELECT m10_recovery.enqueue_work(302)");
    await t.pool.query("SELECT * FROM m10_recovery.claim_work('w', 10)");
    await t.pool.query("UPDATE m10_recovery.work_queue SET claimed_at = now() - interval '10 minutes' WHERE id = $1", [old]);
    expect(await value("SELECT m10_recovery.release_stalled_work(300)")).toBe(1);
    expect(await value("SELECT claimed_at IS NULL FROM m10_recovery.work_queue WHERE id = $1", [old])).toBe(true);
    expect(await value("SELECT claimed_at IS NULL FROM m10_recovery.work_queue WHERE id = $1", [recent])).toBe(false);
  });

  it("complete_work: a stale holder cannot complete an item another worker re-claimed, nor fail it; the new holder can", async () => {
    const id = await value<number>("SELECT m10_recovery.enqueue_work(401)");
    await t.pool.query("SELECT * FROM m10_recovery.claim_work('stale', 10)");
    await t.pool.query("UPDATE m10_recovery.work_queue SET claimed_at = now() - interval '10 minutes' WHERE id = $1", [id]);
    expect(await value("SELECT m10_recovery.release_stalled_work(300)")).toBe(1);
    expect((await t.pool.query("SELECT work_id FROM m10_recovery.claim_work('heir', 10)")).rows).toEqual([{ work_id: id }]);

    expect(await value("SELECT m10_recovery.complete_work($1, TRUE, NULL, 'stale')", [id])).toBe(false);
    expect(await value("SELECT m10_recovery.complete_work($1, FALSE, 'late failure', 'stale')", [id])).toBe(false);
    expect(await one("SELECT claimed_by, processed_at, retry_count FROM m10_recovery.work_queue WHERE id = $1", [id])).toEqual({
      claimed_by: "heir",
      processed_at: null,
      retry_count: 0,
    });
    await expect(t.pool.query("SELECT m10_recovery.complete_work($1, TRUE, NULL)", [id])).rejects.toThrow(/needs the claimer/);
    expect(await value("SELECT m10_recovery.complete_work($1, TRUE, NULL, 'heir')", [id])).toBe(true);
    expect(await value("SELECT m10_recovery.complete_work($1, TRUE, NULL, 'heir')", [id])).toBe(false);
  });

  it("release_stalled_work counts expired claims and archives an item whose claim expired the third time as a dead letter", async () => {
    const poison = await value<number>("SELECT m10_recovery.enqueue_work(501)");
    for (const attempt of [1, 2, 3]) {
      // Each worker claims it and dies holding it.
      expect((await t.pool.query("SELECT work_id FROM m10_recovery.claim_work($1, 10)", [`crashing-${attempt}`])).rows).toEqual([{ work_id: poison }]);
      await t.pool.query("UPDATE m10_recovery.work_queue SET claimed_at = now() - interval '10 minutes' WHERE id = $1", [poison]);
      expect(await value("SELECT m10_recovery.release_stalled_work(300, 3)")).toBe(1);
      expect(await value("SELECT lease_expiries FROM m10_recovery.work_queue WHERE id = $1", [poison])).toBe(attempt);
    }
    expect(await value("SELECT processed_at IS NOT NULL FROM m10_recovery.work_queue WHERE id = $1", [poison])).toBe(true);
    expect((await t.pool.query("SELECT work_id FROM m10_recovery.claim_work('next', 10)")).rowCount).toBe(0);
    expect(
      await one(
        "SELECT original_msg_id, candidate_id, reason, reclaim_count, stream_name, payload->>'last_holder' AS last_holder FROM m10_recovery.dead_letter_archive WHERE dl_msg_id = $1",
        [`work_queue:${poison}`],
      ),
    ).toEqual({ original_msg_id: `work_queue:${poison}`, candidate_id: 501, reason: "work_lease_expired", reclaim_count: 3, stream_name: "m10_recovery.work_queue", last_holder: "crashing-3" });
  });
});

describe("matview refresh", () => {
  it("refresh_mv_top_pending and refresh_mv_tracked work and log to matview_refresh_log / matview_freshness", async () => {
    await insertCandidate("00000000-0000-4000-8000-000000000001");
    await t.pool.query("SELECT m10_recovery.refresh_mv_top_pending()");
    const tracked = await one<{ success: boolean }>("SELECT success FROM m10_recovery.refresh_mv_tracked('mv_top_pending')");
    expect(tracked.success).toBe(true);
    expect(await value("SELECT count(*)::int FROM m10_recovery.mv_top_pending")).toBe(1);
    expect(await one("SELECT view_name, last_success FROM m10_recovery.matview_freshness")).toEqual({ view_name: "mv_top_pending", last_success: true });
  });

  it("an unknown view name is reported as a failure, never a fake success", async () => {
    const result = await one<{ success: boolean; error: string }>("SELECT success, error FROM m10_recovery.refresh_mv_tracked('does_not_exist')");
    expect(result.success).toBe(false);
    expect(result.error).toMatch(/unknown view/);
  });
});

describe("candidates", () => {
  it("the outcome trigger keeps suggestion_action.success_rate current", async () => {
    const id = await insertCandidate("00000000-0000-4000-8000-000000000002");
    await t.pool.query("UPDATE recovery_candidates SET selected_action_id = 7 WHERE id = $1", [id]);
    await t.pool.query("UPDATE recovery_candidates SET execution_status = 'succeeded' WHERE id = $1", [id]);
    expect(await one("SELECT total_applications, successful_applications, success_rate FROM m10_recovery.suggestion_action WHERE id = 7")).toEqual({
      total_applications: 1,
      successful_applications: 1,
      success_rate: 1,
    });
  });

  it("updated_at is set by trigger on every update, and the CHECKs reject bad decisions and confidences", async () => {
    const id = await insertCandidate("00000000-0000-4000-8000-000000000003");
    await t.pool.query("UPDATE recovery_candidates SET updated_at = '2000-01-01' WHERE id = $1", [id]);
    expect(await value("SELECT updated_at > now() - interval '1 minute' FROM recovery_candidates WHERE id = $1", [id])).toBe(true);
    await expect(t.pool.query("UPDATE recovery_candidates SET decision = 'maybe' WHERE id = $1", [id])).rejects.toThrow(/recovery_candidates_decision_check/);
    await expect(t.pool.query("UPDATE recovery_candidates SET confidence = 1.5 WHERE id = $1", [id])).rejects.toThrow(/recovery_candidates_confidence_check/);
  });

  it("ON CONFLICT (failure_match_id) upserts increment occurrence_count", async () => {
    const fmid = "00000000-0000-4000-8000-000000000004";
    const upsert = `INSERT INTO recovery_candidates (failure_match_id, suggestion, confidence, error_signature)
                    VALUES ($1, 's', 0.2, 'sig') ON CONFLICT (failure_match_id)
                    DO UPDATE SET occurrence_count = recovery_candidates.occurrence_count + 1 RETURNING id, occurrence_count`;
    const first = await one<{ id: number }>(upsert, [fmid]);
    const second = await one(upsert, [fmid]);
    expect(second).toEqual({ id: first.id, occurrence_count: 2 });
  });
});

describe("single signatures (Decision 3)", () => {
  it.each([
    ["acquire_lock", "SELECT m10_recovery.acquire_lock($1, $2, $3)", ["n", "h", 5]],
    ["record_replay", "SELECT * FROM m10_recovery.record_replay($1, $2, $3, $4, $5, $6)", ["o-p", "d-p", null, null, null, "t"]],
    ["archive_dead_letter", "SELECT m10_recovery.archive_dead_letter($1, $2, $3, $4, $5, $6, $7, $8, $9)", [null, null, null, null, "{}", null, 0, null, "t"]],
    ["enqueue_work", "SELECT m10_recovery.enqueue_work($1, $2, $3, $4)", [9001, null, 0, "db_fallback"]],
    ["claim_work", "SELECT * FROM m10_recovery.claim_work($1, $2)", ["w", 1]],
    ["complete_work", "SELECT m10_recovery.complete_work($1, $2, $3, $4)", [1, true, null, "w"]],
    ["release_stalled_work", "SELECT m10_recovery.release_stalled_work($1, $2)", [300, 3]],
    ["claim_outbox_events", "SELECT * FROM m10_recovery.claim_outbox_events($1, $2)", ["p", 1]],
    ["complete_outbox_event", "SELECT m10_recovery.complete_outbox_event($1, $2, $3, $4)", [1, "p", true, null]],
    ["publish_outbox", "SELECT m10_recovery.publish_outbox($1, $2, $3, $4)", ["a", "sig", "e", "{}"]],
  ])("%s can be called with untyped parameters as node-postgres sends them", async (_name, sql, params) => {
    await expect(t.pool.query(sql, params)).resolves.toBeDefined();
  });
});
