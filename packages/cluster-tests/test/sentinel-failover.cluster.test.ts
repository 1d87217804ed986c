// M10 behind Redis Sentinel through a master failover under load: 3 ingest processes take single
// ingests, 2 claim workers consume, the master is killed (SIGKILL) mid-load. Ingest falls back to
// the DB queue while no master answers, every process reconnects to the promoted replica through
// the sentinels, and every candidate the API accepted is evaluated exactly once. An XADD the old
// master acknowledged but had not yet replicated is lost with it (replication is asynchronous);
// the orchestrator's pending_sweep re-enqueues such a candidate, as it does in production.
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { startRedisSentinel, type RedisSentinelSetup } from "@m10/devstack";
import { openTestDatabase, testStack, useEnvironment, waitUntil, type RunningService } from "@m10/devstack/testing";
import { createRedisClient, type RedisClient } from "@m10/shared";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { evaluationCounts } from "./support/evaluations.js";
import { startIngestLoad } from "./support/load.js";
import { orchestratorRun, startAll, startIngest, startWorker } from "./support/services.js";

const STREAM = "m10:evaluate:stream";

const t = useEnvironment(async (defer) => {
  const sentinel: RedisSentinelSetup = await startRedisSentinel({ dir: mkdtempSync(join(testStack().dir, "sentinel-failover-")) });
  defer(() => sentinel.stop());
  const { db, pool } = await openTestDatabase(defer, (url) => new pg.Pool({ connectionString: url, max: 3 }));
  const redis: RedisClient = createRedisClient(sentinel.url);
  // Refused connections to the killed master are expected; the assertions say what matters.
  redis.on("error", () => undefined);
  defer(() => redis.disconnect());
  return { sentinel, db, pool, redis };
});

const count = async (pool: pg.Pool, sql: string, params: unknown[] = []) => (await pool.query<{ n: number }>(sql, params)).rows[0]!.n;

/** The millisecond part of the stream's last generated id: when the last XADD landed on the master that answers now. */
async function lastXaddAt(redis: RedisClient): Promise<number> {
  const info = (await redis.call("XINFO", "STREAM", STREAM)) as unknown[];
  const id = String(info[info.indexOf("last-generated-id") + 1]);
  return Number(id.split("-")[0]);
}

describe("M10 behind Redis Sentinel", () => {
  it("evaluates every accepted candidate exactly once when the master is killed while 3 ingest processes take load and 2 workers consume", async () => {
    const endpoints = { databaseUrl: t.db.url, redisUrl: t.sentinel.url };
    const services: RunningService[] = await startAll([
      ...[0, 1, 2].map(() => () => startIngest(endpoints)),
      ...[0, 1].map(() => () => startWorker(endpoints)),
    ]);
    const apis = services.slice(0, 3);
    const load = startIngestLoad(apis, 6);
    try {
      await waitUntil("200 candidates accepted and evaluations under way", async () => load.accepted.length >= 200 && (await count(t.pool, "SELECT count(*)::int AS n FROM recovery_candidates WHERE evaluated_at IS NOT NULL")) > 0, {
        timeoutMs: 120_000,
      });
      await waitUntil("the stream on the master", async () => (await lastXaddAt(t.redis)) > 0);
      const acceptedBeforeKill = load.accepted.length;
      await t.sentinel.master.kill();
      await waitUntil("the sentinels promote the replica", async () => (await t.sentinel.currentMasterPort()) === t.sentinel.replica.port, { timeoutMs: 60_000 });
      const promotedAt = Date.now();
      // The ingest processes found the new master by themselves: stream entries newer than the promotion.
      await waitUntil("ingest writes to the promoted master", async () => (await lastXaddAt(t.redis).catch(() => 0)) >= promotedAt, { timeoutMs: 90_000, intervalMs: 250 });
      const acceptedAtReconnect = load.accepted.length;
      await waitUntil("200 more candidates accepted after the failover", () => load.accepted.length >= acceptedAtReconnect + 200, { timeoutMs: 120_000 });
      await load.stop();
      expect(acceptedBeforeKill).toBeGreaterThan(0);
      expect(new Set(load.accepted).size).toBe(load.accepted.length);

      // While no master answered, the enqueues in flight fell back to the DB queue.
      const viaDbQueue = await count(t.pool, "SELECT count(*)::int AS n FROM m10_recovery.work_queue WHERE method = 'db_fallback' AND candidate_id = ANY($1)", [load.accepted]);
      expect(viaDbQueue).toBeGreaterThan(0);

      // Drained: nothing left in the stream, pending in the group, or waiting in the DB queue.
      await waitUntil(
        "the stream and the DB queue drained",
        async () =>
          (await t.redis.xlen(STREAM)) === 0 &&
          Number(((await t.redis.xpending(STREAM, "m10:evaluate:group")) as unknown[])[0]) === 0 &&
          (await count(t.pool, "SELECT count(*)::int AS n FROM m10_recovery.work_queue WHERE processed_at IS NULL")) === 0,
        { timeoutMs: 180_000, intervalMs: 500 },
      );
      const lostWithTheMaster = await count(t.pool, "SELECT count(*)::int AS n FROM recovery_candidates WHERE id = ANY($1) AND evaluated_at IS NULL", [load.accepted]);
      const sweep = await orchestratorRun(["pending_sweep"], endpoints, { M10_SWEEP_AFTER_SECONDS: "1" });
      expect(sweep.code, sweep.stdout + sweep.stderr).toBe(0);
      const [sweepTask] = sweep.json.tasks as { details: { found: number; requeued: number } }[];
      // It may also find a candidate whose request failed after its commit (not in `accepted`).
      expect(sweepTask?.details.requeued).toBeGreaterThanOrEqual(lostWithTheMaster);
      await waitUntil("every accepted candidate evaluated", async () => (await evaluationCounts(t.pool, load.accepted)).evaluated === load.accepted.length, { timeoutMs: 120_000, intervalMs: 500 });

      const accepted = load.accepted.length;
      expect(await evaluationCounts(t.pool, load.accepted)).toEqual({ candidates: accepted, evaluated: accepted, created: accepted, doubleCreated: 0, suggested: accepted, doubleSuggested: 0 });
      // Every process lived through the failover.
      expect(services.map((service) => service.child.exitCode)).toEqual([null, null, null, null, null]);
      console.info(
        `sentinel failover: ${accepted} accepted (${acceptedBeforeKill} before the kill), ${viaDbQueue} via the DB queue, ${lostWithTheMaster} re-enqueued by pending_sweep, refused ${JSON.stringify(Object.fromEntries(load.refused))}`,
      );
    } finally {
      await load.stop();
      const codes = await Promise.all(services.map((service) => service.stop("SIGTERM")));
      expect(codes).toEqual([0, 0, 0, 0, 0]);
    }
  });
});
