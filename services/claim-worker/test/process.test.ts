import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { startService, streamKeysEnv, testStack, uniqueStreamKeys, waitUntil } from "@m10/devstack/testing";
import { enqueueWork, streamFields } from "@m10/shared";
import { describe, expect, it } from "vitest";
import { evaluationCounts, insertCandidates } from "./support/candidates.js";
import { useTestEnvironment } from "./support/environment.js";
import { FAST_ENV, WORKER_BIN } from "./support/processes.js";

const run = promisify(execFile);
const bin = join(import.meta.dirname, "..", "bin", "m10-claim-worker.js");
const t = useTestEnvironment();

describe("m10-claim-worker process", () => {
  it("serves /health, /ready, /health/detailed and /metrics, and exits 0 on SIGTERM", async () => {
    const keys = uniqueStreamKeys();
    const service = await startService(WORKER_BIN, { DATABASE_URL: t.db.url, REDIS_URL: testStack().redisUrl, ...streamKeysEnv(keys), ...FAST_ENV });
    try {
      const health = await fetch(`${service.url}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: "ok" });
      await waitUntil("ready", async () => (await fetch(`${service.url}/ready`)).status === 200);
      const detailedHealth = async () => (await (await fetch(`${service.url}/health/detailed`)).json()) as Record<string, Record<string, unknown>>;
      await waitUntil("the group created and joined", async () => (await detailedHealth()).stream?.consumers === 1);
      const detailed = await detailedHealth();
      expect(detailed.stream).toMatchObject({ key: keys.stream, group: keys.group, length: 0, pending: 0, groupExists: true, consumers: 1 });
      expect(detailed.db_queue).toMatchObject({ depth: 0, claimed: 0, stalled: 0 });
      expect(detailed.worker).toMatchObject({ useStream: true, stopping: false });
      expect(detailed).toMatchObject({ consumer_group: keys.group, consumer_lag_seconds: 0 });
      const metrics = await (await fetch(`${service.url}/metrics`)).text();
      for (const name of [
        "recovery_worker_claimed_total",
        "recovery_worker_processed_total",
        "recovery_worker_processing_seconds",
        "recovery_dead_letter_added_total",
        "recovery_suggestions_total",
      ]) {
        expect(metrics).toContain(`# TYPE ${name} `);
      }
      expect(metrics).toContain('recovery_worker_claimed_total{source="db_queue"} 0');
    } finally {
      expect(await service.stop("SIGTERM")).toBe(0);
    }
  });

  it("serves the Phase 7 consumer metrics as JSON at /monitoring/metrics: consumed, success rate, lag, the last entry processed", async () => {
    const keys = uniqueStreamKeys();
    const [id] = (await insertCandidates(t.pool, [{ errorCode: "TIMEOUT" }])) as [number];
    // An entry added two minutes ago: the lag the worker works off.
    const entryId = (await t.redis.xadd(keys.stream, `${Date.now() - 120_000}-0`, ...streamFields({ candidateId: id }))) as string;
    const service = await startService(WORKER_BIN, { DATABASE_URL: t.db.url, REDIS_URL: testStack().redisUrl, ...streamKeysEnv(keys), ...FAST_ENV });
    try {
      const view = async () => (await (await fetch(`${service.url}/monitoring/metrics`)).json()) as Record<string, unknown>;
      await waitUntil("the entry processed", async () => (await view()).last_processed_event_id === entryId);
      expect(await view()).toMatchObject({
        service: "claim-worker",
        consumer_group: keys.group,
        events_consumed_total: { redis_stream: 1, db_queue: 0 },
        consumer_lag_seconds: 0,
        events_processed_success: 1,
        events_processed_failure: 0,
        success_rate: 100,
        last_processed_candidate_id: id,
      });
      // /metrics stays Prometheus text for the scraper.
      expect(await (await fetch(`${service.url}/metrics`)).text()).toMatch(/^# HELP /m);
    } finally {
      expect(await service.stop("SIGTERM")).toBe(0);
    }
  });

  it("runs on the DB queue alone with --no-use-stream and no Redis", async () => {
    const [id] = (await insertCandidates(t.pool, [{ errorCode: "TIMEOUT" }])) as [number];
    await enqueueWork(t.pool, [{ candidateId: id }], "db_fallback");
    const service = await startService(WORKER_BIN, { DATABASE_URL: t.db.url, REDIS_URL: "", ...FAST_ENV }, ["--no-use-stream", "--batch-size", "10", "--poll-interval", "0.1"]);
    try {
      await waitUntil("the candidate evaluated", async () => (await evaluationCounts(t.pool, [id])).evaluated === 1);
      const detailed = (await (await fetch(`${service.url}/health/detailed`)).json()) as Record<string, Record<string, unknown>>;
      expect(detailed.stream).toEqual({ enabled: false });
      expect((await (await fetch(`${service.url}/ready`)).json()) as object).toMatchObject({ status: "ok", checks: { redis: "disabled" } });
    } finally {
      expect(await service.stop("SIGTERM")).toBe(0);
    }
  });

  it("is woken at once by a committed work_queue item (poll interval 60 s), also after its LISTEN connection was terminated", async () => {
    const listenPids = async (): Promise<number[]> =>
      (await t.pool.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'm10-claim-worker listen'")).rows.map((r) => r.pid);
    const service = await startService(WORKER_BIN, { DATABASE_URL: t.db.url, REDIS_URL: "", ...FAST_ENV }, ["--no-use-stream", "--poll-interval", "60"]);
    try {
      await waitUntil("the worker listens", async () => (await listenPids()).length === 1);
      const [first] = (await insertCandidates(t.pool, [{ errorCode: "TIMEOUT" }])) as [number];
      await enqueueWork(t.pool, [{ candidateId: first }], "db_fallback");
      // Well under the 60 s poll: only the notification can have woken it.
      await waitUntil("the first candidate evaluated", async () => (await evaluationCounts(t.pool, [first])).evaluated === 1, { timeoutMs: 10_000, intervalMs: 20 });

      const [terminated] = await listenPids();
      await t.pool.query("SELECT pg_terminate_backend($1)", [terminated]);
      await waitUntil("the worker listens again on a new connection", async () => {
        const pids = await listenPids();
        return pids.length === 1 && pids[0] !== terminated;
      });
      const [second] = (await insertCandidates(t.pool, [{ errorCode: "TIMEOUT" }])) as [number];
      await enqueueWork(t.pool, [{ candidateId: second }], "db_fallback");
      await waitUntil("the second candidate evaluated", async () => (await evaluationCounts(t.pool, [second])).evaluated === 1, { timeoutMs: 10_000, intervalMs: 20 });
    } finally {
      expect(await service.stop("SIGTERM")).toBe(0);
    }
  });

  it("documents its flags and environment in --help", async () => {
    const { stdout } = await run(process.execPath, [bin, "--help"]);
    for (const text of ["--batch-size", "--poll-interval", "--concurrency", "--use-stream", "--no-use-stream", "--once", "--debug", "Examples:", "M10_CLAIM_IDLE_MS", "RECOVERY_AUTO_EXECUTE_MIN_CONFIDENCE", "DATABASE_URL"]) {
      expect(stdout).toContain(text);
    }
  });

  it("--once exits 1 when PostgreSQL cannot be reached, so a cron job notices", async () => {
    await expect(
      run(process.execPath, [bin, "--once", "--no-use-stream"], {
        env: { ...process.env, DATABASE_URL: "postgres://nobody@127.0.0.1:1/none", REDIS_URL: "", M10_HEALTH_PORT: "0", LOG_LEVEL: "warn" },
      }),
    ).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining("dependency.unavailable") });
  });

  it("refuses a bad flag value and --use-stream without REDIS_URL", async () => {
    await expect(run(process.execPath, [bin, "--batch-size", "0"], { env: { ...process.env, DATABASE_URL: t.db.url } })).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining("--batch-size"),
    });
    await expect(run(process.execPath, [bin, "--use-stream"], { env: { ...process.env, DATABASE_URL: t.db.url, REDIS_URL: "" } })).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining("--use-stream needs REDIS_URL"),
    });
  });
});
