// M10 on a 3-master Redis Cluster: every key carries the {m10} hash tag, so the dead-letter move
// (one Lua script over the stream and the dead-letter stream) and replay work across the cluster.
import { randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { startRedisCluster, type RedisCluster } from "@m10/devstack";
import { createTestDatabase, testStack, useEnvironment, waitUntil, type RunningService } from "@m10/devstack/testing";
import { createRedisClient, type RedisClient } from "@m10/shared";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { evaluationCounts } from "./support/evaluations.js";
import { ingest, m10ctl, startIngest, startWorker } from "./support/services.js";

const t = useEnvironment(async (defer) => {
  const cluster: RedisCluster = await startRedisCluster({ dir: mkdtempSync(join(testStack().dir, "redis-cluster-")) });
  defer(() => cluster.stop());
  const db = await createTestDatabase();
  defer(db.drop);
  const pool = new pg.Pool({ connectionString: db.url, max: 3 });
  defer(() => pool.end());
  const redis: RedisClient = createRedisClient(cluster.url);
  defer(() => redis.quit().then(() => undefined));
  // While poison_switch has a row, PostgreSQL refuses to record any evaluation: every delivery fails.
  await pool.query(`
    CREATE TABLE poison_switch (on_ boolean PRIMARY KEY);
    CREATE FUNCTION reject_while_poisoned() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.evaluated_at IS NOT NULL AND EXISTS (SELECT 1 FROM poison_switch) THEN RAISE EXCEPTION 'poisoned'; END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER reject_while_poisoned BEFORE UPDATE ON recovery_candidates FOR EACH ROW EXECUTE FUNCTION reject_while_poisoned();`);
  return { cluster, db, pool, redis };
});

describe("M10 on a 3-master Redis Cluster", () => {
  it("ingests, evaluates, dead-letters a poison message, replays it with m10ctl and evaluates it", async () => {
    const endpoints = { databaseUrl: t.db.url, redisUrl: t.cluster.url };
    const services: RunningService[] = [await startIngest(endpoints), await startWorker(endpoints, { M10_MAX_RECLAIM_ATTEMPTS: "2" })];
    const [api] = services as [RunningService];
    try {
      const healthy = await ingest(api, randomUUID());
      expect(healthy.status).toBe(202);
      await waitUntil("the healthy candidate evaluated", async () => (await evaluationCounts(t.pool, [healthy.candidateId!])).evaluated === 1, { timeoutMs: 60_000 });

      await t.pool.query("INSERT INTO poison_switch VALUES (true)");
      const poison = await ingest(api, randomUUID());
      expect(poison.status).toBe(202);
      const archivedIds = async () =>
        (await t.pool.query<{ dl_msg_id: string }>("SELECT dl_msg_id FROM m10_recovery.dead_letter_archive WHERE candidate_id = $1", [poison.candidateId])).rows.map((row) => row.dl_msg_id);
      // The move (one Lua script over both streams), then the archive row written after it.
      await waitUntil(
        "the poison message in {m10}:evaluate:dead-letter and archived",
        async () => (await t.redis.xlen("{m10}:evaluate:dead-letter")) === 1 && (await archivedIds()).length === 1,
        { timeoutMs: 90_000 },
      );
      const [[deadLetterId, fields]] = (await t.redis.xrange("{m10}:evaluate:dead-letter", "-", "+")) as [[string, string[]]];
      expect(fields).toEqual(expect.arrayContaining(["original_stream", "{m10}:evaluate:stream", "reason", "max_reclaim_attempts", "orig_candidate_id", String(poison.candidateId)]));
      expect(await archivedIds()).toEqual([deadLetterId]);

      // The runbook's queue commands, on the cluster's names.
      const cli = { DATABASE_URL: t.db.url, REDIS_URL: t.cluster.url };
      const queue = await m10ctl(["queue", "status"], cli);
      expect(queue.code, queue.stderr).toBe(0);
      expect(queue.json).toMatchObject({ stream: { key: "{m10}:evaluate:stream", pending: 0 } });
      const list = await m10ctl(["dlq", "list"], cli);
      expect(list.code, list.stderr).toBe(0);
      expect(JSON.stringify(list.json)).toContain(deadLetterId);

      await t.pool.query("DELETE FROM poison_switch");
      const replay = await m10ctl(["dlq", "replay", deadLetterId], cli);
      expect(replay.code, replay.stderr).toBe(0);
      expect(replay.json).toMatchObject({ status: "replayed", candidate_id: poison.candidateId });
      await waitUntil("the replayed candidate evaluated", async () => (await evaluationCounts(t.pool, [poison.candidateId!])).evaluated === 1, { timeoutMs: 60_000 });

      expect(await evaluationCounts(t.pool, [healthy.candidateId!, poison.candidateId!])).toMatchObject({ candidates: 2, evaluated: 2, created: 2, doubleCreated: 0, suggested: 2 });
      expect(await t.redis.xlen("{m10}:evaluate:dead-letter")).toBe(0);
      expect(services.map((service) => service.output())).not.toEqual(expect.arrayContaining([expect.stringContaining("CROSSSLOT")]));
    } finally {
      const codes = await Promise.all(services.map((service) => service.stop("SIGTERM")));
      expect(codes).toEqual([0, 0]);
    }
  });

  it("m10ctl redis check reports every node of the cluster", async () => {
    const check = await m10ctl(["redis", "check"], { DATABASE_URL: t.db.url, REDIS_URL: t.cluster.url });
    // Test nodes run without AOF, so the durability check fails; what matters is that it asked each node.
    expect(check.code, check.stdout + check.stderr).toBe(1);
    expect(check.json.errors, check.stdout).not.toEqual(expect.arrayContaining([expect.stringContaining("cannot check Redis")]));
    const nodes = (check.json.nodes as { node: string }[]).map((node) => node.node).sort();
    expect(nodes).toEqual(t.cluster.nodes.map((node) => `127.0.0.1:${node.port}`).sort());
  });
});
