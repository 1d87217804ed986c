import { spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startService, testStack, valueOf, type Exposition, type RunningService } from "@m10/devstack/testing";
import { afterAll, describe, expect, it } from "vitest";
import { COLLECTOR_BIN, collectorEnv, useTestEnvironment } from "./support/environment.js";
import { DATABASE_EXPECTED, LIVE_LOCK, MATVIEW_LAST_SUCCESS_AGE, OUTBOX_OLDEST_PENDING_AGE, STREAM_EXPECTED } from "./support/prepared-state.js";
import { scrapeUntil } from "./support/scrape.js";

const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** Runs `m10-metrics-collector --once` and returns its exit code, stdout and stderr. */
function runOnce(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, COLLECTOR_BIN), "--once"], { env: { ...process.env, LOG_LEVEL: "warn", ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.once("error", reject);
    child.once("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("m10-metrics-collector on prepared state", () => {
  const t = useTestEnvironment({ prepared: true });
  const env = () => collectorEnv(t.db.url, testStack().redisUrl, t.keys, { M10_CLAIM_IDLE_MS: "60000" });
  // The first test starts the collector, the next ones read it, "exits 0 on SIGTERM" stops it.
  let service: RunningService | undefined;
  afterAll(async () => {
    await service?.stop("SIGTERM");
  });

  it("exports every database and stream gauge with the value of the prepared state", async () => {
    const before = Date.now() / 1000;
    service = await startService(COLLECTOR_BIN, env());
    const metrics = await scrapeUntil(service.url, (e) => valueOf(e, "m10_dependency_up", { dependency: "postgres" }) === 1);

    for (const [name, value] of Object.entries({ ...DATABASE_EXPECTED, ...STREAM_EXPECTED })) expect(valueOf(metrics, name), name).toBe(value);
    expect(valueOf(metrics, "m10_queue_depth")).toBe(STREAM_EXPECTED.recovery_stream_length + DATABASE_EXPECTED.recovery_db_queue_depth);

    const lag = valueOf(metrics, "m10_outbox_lag_seconds") ?? -1;
    expect(lag).toBeGreaterThanOrEqual(OUTBOX_OLDEST_PENDING_AGE);
    expect(lag).toBeLessThan(OUTBOX_OLDEST_PENDING_AGE + 60);

    // Age since the last *successful* refresh: the failed attempt 10 s ago does not count.
    const age = valueOf(metrics, "recovery_matview_age_seconds", { view_name: "mv_top_pending" }) ?? -1;
    expect(age).toBeGreaterThanOrEqual(MATVIEW_LAST_SUCCESS_AGE);
    expect(age).toBeLessThan(MATVIEW_LAST_SUCCESS_AGE + 60);
    expect(valueOf(metrics, "m10_matview_age_seconds")).toBe(age);
    const refreshedAt = valueOf(metrics, "recovery_matview_last_refresh_timestamp", { view_name: "mv_top_pending" }) ?? 0;
    expect(Math.abs(refreshedAt + MATVIEW_LAST_SUCCESS_AGE - before)).toBeLessThan(60);

    expect(lockSeries(metrics)).toEqual([{ lock_name: LIVE_LOCK, value: 1 }]);
    expect(valueOf(metrics, "m10_dependency_up", { dependency: "redis" })).toBe(1);
    expect(valueOf(metrics, "m10_collection_errors_total", { source: "postgres" })).toBe(0);
    expect(valueOf(metrics, "m10_collection_errors_total", { source: "redis" })).toBe(0);
    expect(valueOf(metrics, "m10_collection_duration_seconds_count")).toBeGreaterThanOrEqual(1);
    const collectedAt = valueOf(metrics, "m10_last_collection_timestamp_seconds") ?? 0;
    expect(collectedAt).toBeGreaterThan(before);
    expect(valueOf(metrics, "m10_last_collection_timestamp")).toBe(collectedAt);
  });

  it("follows the state: delivered outbox events, acknowledged entries and released locks", async () => {
    if (!service) throw new Error("the collector did not start");
    await t.pool.query("UPDATE m10_recovery.outbox SET processed_at = now(), processed_by = 'processor-1' WHERE processed_at IS NULL");
    await t.pool.query("DELETE FROM m10_recovery.distributed_locks");
    const pending = (await t.redis.xpending(t.keys.stream, t.keys.group, "-", "+", 10)) as [string, ...unknown[]][];
    await t.redis.xack(t.keys.stream, t.keys.group, ...pending.map(([id]) => id));
    const since = Date.now() / 1000;

    const metrics = await scrapeUntil(service.url, (e) => valueOf(e, "m10_outbox_pending") === 0, { since });
    expect(valueOf(metrics, "m10_outbox_lag_seconds")).toBe(0);
    expect(valueOf(metrics, "recovery_stream_pending")).toBe(0);
    expect(valueOf(metrics, "m10_reclaim_count")).toBe(0);
    expect(valueOf(metrics, "recovery_stream_length")).toBe(STREAM_EXPECTED.recovery_stream_length);
    expect(lockSeries(metrics)).toEqual([]);
  });

  it("answers /ready and /health/detailed from the last collection", async () => {
    if (!service) throw new Error("the collector did not start");
    const ready = await fetch(`${service.url}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ready: true, status: "ok", checks: { postgres: "ok", redis: "ok" } });

    const detailed = (await (await fetch(`${service.url}/health/detailed`)).json()) as Record<string, unknown>;
    expect(detailed).toMatchObject({
      service: "metrics-collector",
      interval_seconds: 1,
      last_collection: {
        ok: true,
        redis_stream: { stream: t.keys.stream, length: STREAM_EXPECTED.recovery_stream_length },
        db_queue: { depth: DATABASE_EXPECTED.recovery_db_queue_depth, stalled: DATABASE_EXPECTED.recovery_db_queue_stalled },
      },
    });
  });

  it("exits 0 on SIGTERM", async () => {
    if (!service) throw new Error("the collector did not start");
    expect(await service.stop("SIGTERM")).toBe(0);
    expect(service.output()).toContain("shutdown.complete");
    service = undefined;
  });

  it("--once prints the collected values as one JSON document and exits 0", async () => {
    const { code, stdout } = await runOnce(env());
    expect(code).toBe(0);
    const document = JSON.parse(stdout) as Record<string, unknown> & { metrics: Record<string, number | string> };
    expect(document).toMatchObject({
      ok: true,
      sources: { postgres: { up: true }, redis: { up: true } },
      redis_stream: { length: 5, pending: 0, dead_letter_length: 4 },
      db_queue: { depth: 3, stalled: 1 },
      candidates: { pending: 3, unevaluated: 3 },
      outbox: { pending: 0, lag_seconds: 0 },
      archive: { dead_letter_archive_rows: 2, replay_log_rows: 1 },
      locks: [],
    });
    expect(document.metrics).toMatchObject({
      recovery_stream_length: 5,
      recovery_db_queue_depth: 3,
      m10_queue_depth: 8,
      'm10_dependency_up{dependency="redis"}': 1,
    });
    expect(document.metrics['recovery_matview_age_seconds{view_name="mv_top_pending"}']).toBeGreaterThanOrEqual(MATVIEW_LAST_SUCCESS_AGE);
  });

  it("--once exits 1 and reports the source that failed, with the other source's values", async () => {
    const { code, stdout } = await runOnce({ ...env(), REDIS_URL: "redis://127.0.0.1:1/0" });
    expect(code).toBe(1);
    const document = JSON.parse(stdout) as Record<string, unknown>;
    expect(document).toMatchObject({
      ok: false,
      sources: { postgres: { up: true }, redis: { up: false } },
      redis_stream: null,
      db_queue: { depth: 3 },
      metrics: { 'm10_dependency_up{dependency="redis"}': 0, recovery_stream_length: 0, recovery_db_queue_depth: 3 },
    });
  });
});

function lockSeries(metrics: Exposition): { lock_name: string | undefined; value: number }[] {
  return metrics.samples.filter((s) => s.name === "m10_lock_active").map((s) => ({ lock_name: s.labels.lock_name, value: s.value }));
}
