// The Recovery Operations Runbook's commands ("Redis Stream Operations", "DB Fallback Queue
// Operations", "Worker Operations", "Dead-Letter Operations"), run verbatim with the redis-cli and
// psql binaries against the test servers, show the state the worker leaves behind.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { waitUntil } from "@m10/devstack/testing";
import { enqueueEvaluations } from "@m10/shared";
import { describe, expect, it } from "vitest";
import { evaluationCounts, failureMix, insertCandidates } from "./support/candidates.js";
import { useTestEnvironment } from "./support/environment.js";
import { logger } from "./support/harness.js";
import { runOnce, startWorker } from "./support/processes.js";

const run = promisify(execFile);
const KEYS = { stream: "m10:evaluate:stream", group: "m10:evaluate:group", deadLetter: "m10:evaluate:dead-letter" };

const t = useTestEnvironment({ privateRedis: true });

async function redisCli(command: string): Promise<string> {
  const { stdout } = await run("redis-cli", ["-p", String(t.redisServer.port), ...command.split(" ")]);
  return stdout.trim();
}

async function psql(sql: string): Promise<string> {
  const { stdout } = await run("psql", [t.db.url, "-X", "-A", "-t", "-F", "|", "-v", "ON_ERROR_STOP=1", "-c", sql]);
  return stdout.trim();
}

describe("the runbook's redis-cli and SQL commands", () => {
  it("show the stream, the group, XPENDING and the work queue as the worker leaves them", async () => {
    const env = { databaseUrl: t.db.url, redisUrl: t.redisServer.url, keys: KEYS, extra: { M10_CLAIM_IDLE_MS: "60000" } };
    const enqueue = (ids: number[]) => enqueueEvaluations({ redis: t.redis, db: t.pool, keys: KEYS, logger }, ids.map((candidateId) => ({ candidateId })));

    // Queued before any worker exists: XLEN counts them, there is no group yet.
    const first = await insertCandidates(t.pool, failureMix(10));
    await enqueue(first);
    expect(await redisCli("XLEN m10:evaluate:stream")).toBe("10");
    expect(await redisCli("XINFO GROUPS m10:evaluate:stream")).toBe("");

    // A worker creates the group from 0, so those 10 are delivered and evaluated.
    const worker = await startWorker(env);
    await waitUntil("the first 10 evaluated", async () => (await evaluationCounts(t.pool, first)).evaluated === 10);
    await waitUntil("the stream drained", async () => (await redisCli("XLEN m10:evaluate:stream")) === "0");
    const groups = (await redisCli("XINFO GROUPS m10:evaluate:stream")).split("\n");
    expect(groups.slice(0, 6)).toEqual(["name", "m10:evaluate:group", "consumers", "1", "pending", "0"]);
    expect(await redisCli("XPENDING m10:evaluate:stream m10:evaluate:group")).toBe("0");
    expect(await redisCli("XINFO STREAM m10:evaluate:stream")).toMatch(/^length\n0\n/);
    expect(await worker.stop("SIGTERM")).toBe(0);

    // A consumer that takes 2 messages and stalls: XPENDING lists them, XCLAIM with 60 s idle takes nothing yet.
    const second = await insertCandidates(t.pool, failureMix(3));
    await enqueue(second);
    await redisCli("XREADGROUP GROUP m10:evaluate:group stalled-consumer COUNT 2 STREAMS m10:evaluate:stream >");
    const summary = (await redisCli("XPENDING m10:evaluate:stream m10:evaluate:group")).split("\n");
    expect(summary[0]).toBe("2");
    expect(summary).toContain("stalled-consumer");
    const detail = (await redisCli("XPENDING m10:evaluate:stream m10:evaluate:group - + 10")).split("\n");
    expect(detail.filter((line) => line === "stalled-consumer")).toHaveLength(2);
    const stalledId = detail[0] as string;
    expect(await redisCli(`XCLAIM m10:evaluate:stream m10:evaluate:group worker-recovery 60000 ${stalledId}`)).toBe("");
    // "Stream too large (do not trim)": the backlog is what XLEN shows.
    expect(await redisCli("XLEN m10:evaluate:stream")).toBe("3");

    // The DB fallback queue, by hand as in the runbook.
    const third = await insertCandidates(t.pool, failureMix(4));
    for (const id of third) await psql(`SELECT m10_recovery.enqueue_work(${id});`);
    expect(await psql("SELECT COUNT(*) FROM m10_recovery.work_queue WHERE processed_at IS NULL;")).toBe("4");
    expect(await psql("SELECT method, COUNT(*) FROM m10_recovery.work_queue WHERE processed_at IS NULL GROUP BY method;")).toBe("db_fallback|4");
    const claimed = (await psql("SELECT * FROM m10_recovery.claim_work('manual_worker', 10);")).split("\n").map((line) => line.split("|"));
    expect(claimed).toHaveLength(4);
    const [[okId], [failId]] = claimed as [[string], [string]];
    expect(await psql(`SELECT m10_recovery.complete_work(${okId}, TRUE, NULL, 'manual_worker');`)).toBe("t");
    expect(await psql(`SELECT m10_recovery.complete_work(${failId}, FALSE, 'Manual failure', 'manual_worker');`)).toBe("t");
    expect(await psql("SELECT claimed_by, COUNT(*) FROM m10_recovery.work_queue WHERE processed_at IS NULL GROUP BY claimed_by ORDER BY claimed_by;")).toBe(
      "manual_worker|2\n|1",
    );
    expect(
      await psql("SELECT error_message, COUNT(*) FROM m10_recovery.work_queue WHERE error_message IS NOT NULL GROUP BY error_message ORDER BY COUNT(*) DESC;"),
    ).toBe("Manual failure|1");
    expect(await psql("SELECT m10_recovery.release_stalled_work(300);")).toBe("0");
    // The manual worker "died" ten minutes ago: its claims are stalled and the runbook's release returns them.
    await t.pool.query("UPDATE m10_recovery.work_queue SET claimed_at = now() - interval '10 minutes' WHERE claimed_by = 'manual_worker' AND processed_at IS NULL");
    expect(
      await psql(`SELECT COUNT(*) FROM m10_recovery.work_queue
                   WHERE claimed_at IS NOT NULL AND processed_at IS NULL
                     AND claimed_at < now() - interval '5 minutes';`),
    ).toBe("2");
    expect(await psql("SELECT m10_recovery.release_stalled_work(300);")).toBe("2");

    // One --once run with a short idle time drains everything: the new entry, the stalled two, the DB queue.
    const drained = await runOnce({ ...env, extra: { M10_CLAIM_IDLE_MS: "200" } });
    expect(drained.code).toBe(0);
    expect(await redisCli("XLEN m10:evaluate:stream")).toBe("0");
    expect(await redisCli("XPENDING m10:evaluate:stream m10:evaluate:group")).toBe("0");
    expect(await psql("SELECT COUNT(*) FROM m10_recovery.work_queue WHERE processed_at IS NULL;")).toBe("0");
    expect(await redisCli("XLEN m10:evaluate:dead-letter")).toBe("0");
    expect(await redisCli("XRANGE m10:evaluate:dead-letter - + COUNT 10")).toBe("");
    // The item completed by hand left the queue unevaluated (pending_sweep re-enqueues such candidates); all others were evaluated once.
    const manuallyCompleted = Number((claimed[0] as string[])[1]);
    const all = [...first, ...second, ...third].filter((id) => id !== manuallyCompleted);
    expect(await evaluationCounts(t.pool, all)).toMatchObject({ evaluated: 16, created: 16, doubleCreated: 0, suggested: 16 });
    expect(await evaluationCounts(t.pool, [manuallyCompleted])).toMatchObject({ evaluated: 0 });

    // "Monitor Worker Progress": no candidate is ever left executing; automated suggestions wait as 'pending'.
    const statuses = await psql("SELECT execution_status, COUNT(*) FROM recovery_candidates GROUP BY execution_status ORDER BY execution_status;");
    expect(statuses).toMatch(/^pending\|\d+\n\|\d+$/);
    expect(
      await psql(`SELECT id, created_at, execution_status
                    FROM recovery_candidates
                   WHERE execution_status = 'executing'
                     AND updated_at < now() - interval '5 minutes';`),
    ).toBe("");
  });
});
