// m10ctl locks, outbox, queue, matview, retention, health and migrate: --json output and exit codes.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useCliEnvironment } from "./support/environment.js";
import { cliEnv, m10ctl, m10ctlJson, uniqueKeys } from "./support/m10ctl.js";

const t = useCliEnvironment();

const env = () => cliEnv(t.database.url, uniqueKeys());

describe("m10ctl locks", () => {
  it("lists, releases (only with the right holder) and cleans up locks", async () => {
    await t.db.query(
      `INSERT INTO m10_recovery.distributed_locks (lock_name, holder_id, expires_at)
       VALUES ('ops:live', 'holder-a', now() + interval '10 minutes'), ('ops:dead', 'holder-b', now() - interval '1 minute')`,
    );
    const list = await m10ctlJson<{ locks: { lock_name: string; expired: boolean }[]; active: number; expired: number }>(["locks", "list"], env());
    expect(list.code).toBe(0);
    expect(list.json.locks.map((l) => [l.lock_name, l.expired])).toEqual(expect.arrayContaining([["ops:live", false], ["ops:dead", true]]));
    const active = await m10ctlJson<{ locks: { lock_name: string }[] }>(["locks", "list", "--active"], env());
    expect(active.json.locks.map((l) => l.lock_name)).not.toContain("ops:dead");

    const wrong = await m10ctlJson(["locks", "release", "ops:live", "holder-x"], env());
    expect(wrong.code).toBe(1);
    expect(wrong.json.error).toContain("holder-a");
    const right = await m10ctlJson(["locks", "release", "ops:live", "holder-a"], env());
    expect(right.code).toBe(0);
    expect(right.json).toEqual({ lock_name: "ops:live", holder_id: "holder-a", released: true });

    const cleanup = await m10ctlJson(["locks", "cleanup"], env());
    expect(cleanup.json).toEqual({ removed: 1 });
    expect((await t.db.query("SELECT count(*)::int AS n FROM m10_recovery.distributed_locks WHERE lock_name LIKE 'ops:%'")).rows[0]).toEqual({ n: 0 });
  });
});

describe("m10ctl outbox", () => {
  it("reports status and failures, and retries one event or every stuck event", async () => {
    await t.db.query("DELETE FROM m10_recovery.outbox");
    const rows = await t.db.query<{ id: number }>(
      `INSERT INTO m10_recovery.outbox (aggregate_type, aggregate_id, event_type, payload, retry_count, last_error, next_retry_at, processed_at, processed_by)
       VALUES ('t', '1', 'e', '{}', 2, 'HTTP 500: oops', now() + interval '1 hour', NULL, NULL),
              ('t', '2', 'e', '{}', 7, 'HTTP 503: down', now() + interval '1 hour', NULL, NULL),
              ('t', '3', 'e', '{}', 0, NULL, NULL, now(), 'p1'),
              ('t', '4', 'e', '{}', 6, 'gave up', NULL, now(), 'dead-letter')
       RETURNING id`,
    );
    const [retrying, stuck, delivered, deadLettered] = rows.rows.map((r) => r.id);

    const status = await m10ctlJson(["outbox", "status"], env());
    expect(status.code).toBe(0);
    expect(status.json).toMatchObject({ total: 4, pending: 2, processed: 2, stuck: 1, dead_lettered: 1, stuck_min_retries: 5 });
    expect(status.json.by_status).toEqual(expect.arrayContaining([expect.objectContaining({ status: "retrying", count: 2 })]));
    expect(typeof status.json.oldest_pending_lag_seconds).toBe("number");

    const failures = await m10ctlJson<{ failures: { id: number; last_error: string }[] }>(["outbox", "failures", "--limit", "2"], env());
    expect(failures.json.failures).toHaveLength(2);

    const one = await m10ctlJson(["outbox", "retry", String(retrying)], env());
    expect(one.code).toBe(0);
    expect(one.json).toMatchObject({ reset: 1, event: { id: retrying, retry_count: 0 } });
    const due = await t.db.query("SELECT retry_count, last_error, next_retry_at <= now() AS due FROM m10_recovery.outbox WHERE id = $1", [retrying]);
    expect(due.rows[0]).toEqual({ retry_count: 0, last_error: null, due: true });

    const all = await m10ctlJson(["outbox", "retry", "--stuck"], env());
    expect(all.json).toEqual({ reset: 1, min_retries: 5 });
    expect((await t.db.query("SELECT retry_count FROM m10_recovery.outbox WHERE id = $1", [stuck])).rows[0]).toEqual({ retry_count: 0 });

    const done = await m10ctlJson(["outbox", "retry", String(delivered)], env());
    expect(done.code).toBe(1);
    expect(done.json.error).toContain("already delivered");
    const dead = await m10ctlJson(["outbox", "retry", String(deadLettered)], env());
    expect(dead.code).toBe(1);
    expect(dead.json.error).toContain(`dlq replay outbox:${deadLettered}`);
    const usage = await m10ctl(["outbox", "retry"], env());
    expect(usage.code).toBe(2);
  });
});

describe("m10ctl queue", () => {
  it("reports the stream, its consumers and stalled entries, and the DB queue", async () => {
    const keys = uniqueKeys();
    await t.redis.xgroup("CREATE", keys.M10_STREAM_KEY, keys.M10_CONSUMER_GROUP, "0", "MKSTREAM");
    for (let i = 0; i < 3; i++) await t.redis.xadd(keys.M10_STREAM_KEY, "*", "candidate_id", String(i + 1));
    await t.redis.call("XREADGROUP", "GROUP", keys.M10_CONSUMER_GROUP, "worker-1", "COUNT", "2", "STREAMS", keys.M10_STREAM_KEY, ">");
    await t.db.query(
      `INSERT INTO m10_recovery.work_queue (candidate_id, claimed_at, claimed_by) VALUES (800001, now() - interval '10 minutes', 'w'), (800002, NULL, NULL)`,
    );

    const run = await m10ctlJson(["queue", "status"], cliEnv(t.database.url, { ...keys, M10_CLAIM_IDLE_MS: "1" }));

    expect(run.code).toBe(0);
    expect(run.json).toMatchObject({
      stream: { key: keys.M10_STREAM_KEY, length: 3, pending: 2, consumers: 1, lag: 1, stalled: 2, consumer_list: [{ name: "worker-1", pending: 2 }] },
      db_queue: { depth: 2, claimed: 1, stalled: 1 },
    });
    expect(typeof run.json.candidates_awaiting_evaluation).toBe("number");
  });

  it("exits 1 when Redis is unreachable, still reporting the DB queue", async () => {
    const run = await m10ctlJson(["queue", "status"], cliEnv(t.database.url, { REDIS_URL: "redis://127.0.0.1:1" }));
    expect(run.code).toBe(1);
    expect(run.json).toMatchObject({ stream: { error: expect.any(String) }, db_queue: { depth: expect.any(Number) } });
  });

  it("claim-stalled releases stalled work_queue claims under the reclaim_gc lock (dry run first)", async () => {
    await t.db.query("DELETE FROM m10_recovery.work_queue");
    await t.db.query(`INSERT INTO m10_recovery.work_queue (candidate_id, claimed_at, claimed_by) VALUES (810001, now() - interval '10 minutes', 'gone')`);
    const dry = await m10ctlJson(["queue", "claim-stalled", "--dry-run"], env());
    expect(dry.json).toMatchObject({ name: "reclaim_gc", success: true, skipped: false, details: { dry_run: true, stalled_work: 1 } });
    expect((await t.db.query("SELECT claimed_by FROM m10_recovery.work_queue")).rows).toEqual([{ claimed_by: "gone" }]);

    const run = await m10ctlJson(["queue", "claim-stalled", "--stalled-seconds", "60"], env());
    expect(run.code).toBe(0);
    expect(run.json).toMatchObject({ success: true, details: { stalled_work: 1, stalled_seconds: 60 }, stream: expect.any(Object) });
    expect((await t.db.query("SELECT claimed_by, error_message FROM m10_recovery.work_queue")).rows).toEqual([{ claimed_by: null, error_message: "Released: worker stalled" }]);
  });
});

describe("m10ctl matview", () => {
  it("shows freshness and refreshes mv_top_pending, logged in matview_refresh_log", async () => {
    const before = await m10ctlJson<{ views: { view_name: string; last_refresh: string | null }[] }>(["matview", "status"], env());
    expect(before.code).toBe(0);
    expect(before.json.views).toEqual([expect.objectContaining({ view_name: "mv_top_pending" })]);

    const refresh = await m10ctlJson(["matview", "refresh"], env());
    expect(refresh.code, refresh.stderr).toBe(0);
    expect(refresh.json).toMatchObject({ name: "matview_refresh", success: true, details: { refreshed_count: 1, views: { mv_top_pending: { action: "refreshed" } } } });
    const fresh = await m10ctlJson(["matview", "refresh", "--if-stale"], env());
    expect(fresh.json).toMatchObject({ details: { refreshed_count: 0, views: { mv_top_pending: { action: "fresh" } } } });

    const after = await m10ctlJson<{ views: { last_success: boolean; age_seconds: number }[]; refreshes: { success: boolean }[] }>(["matview", "status"], env());
    expect(after.json.views[0]).toMatchObject({ last_success: true });
    expect(after.json.refreshes[0]).toMatchObject({ success: true });
  });
});

describe("m10ctl retention", () => {
  it("dry-runs, runs one job with a retention override, and is skipped with exit code 3 while the orchestrator holds its lock", async () => {
    const c = await t.db.query<{ id: number }>("INSERT INTO public.recovery_candidates (failure_match_id, suggestion, confidence) VALUES (gen_random_uuid(), 's', 0.1) RETURNING id");
    await t.db.query(
      `INSERT INTO m10_recovery.suggestion_provenance (suggestion_id, event_type, created_at)
       SELECT $1, 'created', now() - interval '40 days' FROM generate_series(1, 25)`,
      [c.rows[0]!.id],
    );
    const dry = await m10ctlJson<{ success: boolean; details: { jobs: { job: string; eligible: number }[] } }>(
      ["retention", "--dry-run", "--job", "provenance_archive", "--retention-days", "30"],
      env(),
    );
    expect(dry.code).toBe(0);
    expect(dry.json.details.jobs).toEqual([expect.objectContaining({ job: "provenance_archive", eligible: 25, retention_days: 30 })]);
    expect((await t.db.query("SELECT count(*)::int AS n FROM m10_recovery.suggestion_provenance")).rows[0]).toEqual({ n: 25 });

    // Default retention (90 days): nothing to archive yet.
    const defaults = await m10ctlJson<{ details: { jobs: { job: string; archived: number }[] } }>(["retention", "--job", "provenance_archive"], env());
    expect(defaults.json.details.jobs[0]).toMatchObject({ archived: 0 });

    await t.db.query("SELECT m10_recovery.acquire_lock('m10:retention_cleanup', 'orchestrator:other-host:1:abcd', 60)");
    const held = await m10ctlJson(["retention", "--retention-days", "30"], env());
    expect(held.code).toBe(3);
    expect(held.json).toMatchObject({ name: "retention", skipped: true, skip_reason: expect.stringContaining("orchestrator:other-host:1:abcd") });
    await t.db.query("SELECT m10_recovery.release_lock('m10:retention_cleanup', 'orchestrator:other-host:1:abcd')");

    const run = await m10ctlJson<{ details: { jobs: { job: string; archived: number; deleted: number }[] } }>(["retention", "--retention-days", "30"], env());
    expect(run.code).toBe(0);
    expect(run.json.details.jobs.find((j) => j.job === "provenance_archive")).toMatchObject({ archived: 25, deleted: 25 });
    expect((await t.db.query("SELECT rows_archived FROM m10_recovery.retention_jobs WHERE name = 'provenance_archive'")).rows[0]).toEqual({ rows_archived: 25 });

    const badJob = await m10ctl(["retention", "--job", "everything"], env());
    expect(badJob.code).toBe(2);
  });
});

describe("m10ctl health", () => {
  let healthy: Server;
  let down: Server;
  const listen = async (server: Server) => {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };

  beforeAll(() => {
    healthy = createServer((req, res) => {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ status: "ok", path: req.url }));
    });
    down = createServer((_req, res) => {
      res.writeHead(503, { "content-type": "application/json" }).end(JSON.stringify({ status: "down" }));
    });
  });

  afterAll(async () => {
    await new Promise((resolve) => healthy.close(resolve));
    await new Promise((resolve) => down.close(resolve));
  });

  it("checks every service's /health/detailed and the handbook's DB query; fails when one is down", async () => {
    const ok = await listen(healthy);
    const bad = await listen(down);
    const services = { INGEST_URL: ok, METRICS_COLLECTOR_URL: ok, CLAIM_WORKER_URL: ok, OUTBOX_PROCESSOR_URL: ok, ORCHESTRATOR_URL: "http://127.0.0.1:1" };

    const good = await m10ctlJson<{ healthy: boolean; services: { service: string; state: string; endpoint: string }[]; database: Record<string, unknown> }>(["health"], cliEnv(t.database.url, services));
    expect(good.code, good.stdout).toBe(0);
    expect(good.json.healthy).toBe(true);
    expect(good.json.services.map((s) => [s.service, s.state])).toEqual([
      ["ingest", "ok"],
      ["metrics-collector", "ok"],
      ["claim-worker", "ok"],
      ["outbox-processor", "ok"],
      ["orchestrator", "unreachable"],
    ]);
    expect(good.json.services[0]).toMatchObject({ endpoint: "/health/detailed" });
    expect(good.json.database).toMatchObject({ ok: true, outbox_pending: expect.any(Number), dead_letters: expect.any(Number), active_locks: expect.any(Number), replay_log_entries: expect.any(Number) });

    const failing = await m10ctlJson<{ healthy: boolean }>(["health"], cliEnv(t.database.url, { ...services, CLAIM_WORKER_URL: bad }));
    expect(failing.code).toBe(1);
    expect(failing.json.healthy).toBe(false);
    const noDb = await m10ctlJson<{ database: { ok: boolean } }>(["health", "--skip", "orchestrator"], cliEnv("postgres://nobody@127.0.0.1:1/none", services));
    expect(noDb.code).toBe(1);
    expect(noDb.json.database.ok).toBe(false);
  });
});

describe("m10ctl migrate", () => {
  it("reports the migration status as JSON", async () => {
    const run = await m10ctlJson<{ migrations: { name: string; applied: boolean }[]; pending: number }>(["migrate", "status"], env());
    expect(run.code).toBe(0);
    expect(run.json.pending).toBe(0);
    expect(run.json.migrations.map((m) => m.name)).toContain("022_m10_production_hardening");
  });
});

describe("m10ctl usage errors", () => {
  it("exits 2 on an unknown command and prints help on --help with exit 0", async () => {
    expect((await m10ctl(["frobnicate"], env())).code).toBe(2);
    const help = await m10ctl(["dlq", "--help"], env());
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Examples:");
  });
});
