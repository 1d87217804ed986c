// Leader election between orchestrators (docs/architecture.md §2 promise 6): one run at a time, the other
// reports every task skipped with the holder; a killed holder's locks expire by their TTL.
import { waitFor } from "@m10/devstack";
import { TASK_NAMES } from "@m10/maintenance";
import { describe, expect, it } from "vitest";
import { baseEnv, runOrchestrator, spawnOrchestrator, uniqueKeys, useProcessEnvironment, type Report } from "./support/orchestrator.js";

const environment = useProcessEnvironment();

/** Holds matview_refresh_log exclusively: matview_refresh (the second task) blocks on it. */
async function blockMatviewRefresh(): Promise<{ release(): Promise<void> }> {
  const client = await environment.db.connect();
  await client.query("BEGIN");
  await client.query("LOCK TABLE m10_recovery.matview_refresh_log IN ACCESS EXCLUSIVE MODE");
  return {
    release: async () => {
      await client.query("ROLLBACK");
      client.release();
    },
  };
}

/** The holder of lock `name`, once someone holds it. */
async function lockHolder(name: string): Promise<string> {
  let holder: string | undefined;
  await waitFor(`lock ${name}`, async () => {
    const result = await environment.db.query<{ holder_id: string }>("SELECT holder_id FROM m10_recovery.distributed_locks WHERE lock_name = $1", [name]);
    holder = result.rows[0]?.holder_id;
    return holder !== undefined;
  });
  return holder!;
}

function parse(stdout: string): Report {
  return JSON.parse(stdout) as Report;
}

describe("leader election", () => {
  it("runs each task once when two orchestrators start at the same moment; the other reports every task skipped with the holder", async () => {
    const env = baseEnv(environment.database.url, uniqueKeys());
    const block = await blockMatviewRefresh();
    const first = spawnOrchestrator(["--json"], env);
    const second = spawnOrchestrator(["--json"], env);
    try {
      // Whoever won the leader lock is now stuck in matview_refresh; the other one is done.
      const loser = await Promise.race([first.done, second.done]);
      expect(loser.code, loser.stderr).toBe(0);
      await lockHolder("m10:matview:mv_top_pending");
    } finally {
      await block.release();
    }
    const reports: Report[] = [parse((await first.done).stdout), parse((await second.done).stdout)];

    const leader = reports.find((report) => report.tasks.every((task) => !task.skipped));
    const follower = reports.find((report) => report.tasks.every((task) => task.skipped));
    expect(leader, JSON.stringify(reports)).toBeDefined();
    expect(follower, JSON.stringify(reports)).toBeDefined();
    expect(leader!.tasks.map((task) => task.name)).toEqual([...TASK_NAMES]);
    expect(leader!.all_success).toBe(true);
    for (const task of follower!.tasks) {
      expect(task.success).toBe(true);
      expect(task.skip_reason).toContain(leader!.holder);
      expect(task.details).toMatchObject({ lock_name: "m10:orchestrator", held_by: leader!.holder });
    }
    // Every lock was released after the run.
    expect((await environment.db.query("SELECT lock_name FROM m10_recovery.distributed_locks")).rows).toEqual([]);
  });

  it("skips a task whose lock the equivalent m10ctl command holds, naming that holder, and runs the others", async () => {
    await environment.db.query("SELECT m10_recovery.acquire_lock('m10:retention_cleanup', 'm10ctl:ops-laptop:4242:0badcafe', 60)");
    try {
      const run = await runOrchestrator(["--tasks", "retention,reclaim_gc"], baseEnv(environment.database.url, uniqueKeys()));
      expect(run.code).toBe(0);
      expect(run.report.tasks[0]).toMatchObject({
        name: "retention",
        success: true,
        skipped: true,
        skip_reason: expect.stringContaining("m10ctl:ops-laptop:4242:0badcafe"),
        details: { lock_name: "m10:retention_cleanup", held_by: "m10ctl:ops-laptop:4242:0badcafe" },
      });
      expect(run.report.tasks[1]).toMatchObject({ name: "reclaim_gc", success: true, skipped: false });
    } finally {
      await environment.db.query("SELECT m10_recovery.release_lock('m10:retention_cleanup', 'm10ctl:ops-laptop:4242:0badcafe')");
    }
  });

  it("lets the next run proceed once a killed orchestrator's locks have expired", async () => {
    const env = baseEnv(environment.database.url, { ...uniqueKeys(), M10_LOCK_TTL_MARGIN_SECONDS: "1" });
    const block = await blockMatviewRefresh();
    let holder: string;
    try {
      const victim = spawnOrchestrator(["--json", "--timeout", "3"], env);
      holder = await lockHolder("m10:matview:mv_top_pending");
      victim.child.kill("SIGKILL");
      expect((await victim.done).signal).toBe("SIGKILL");
    } finally {
      await block.release();
    }

    // Its locks outlive it (TTL = timeout + margin = 4 s) ...
    const blocked = await runOrchestrator(["--timeout", "3"], env);
    expect(blocked.report.tasks.every((task) => task.skipped && task.skip_reason?.includes(holder))).toBe(true);

    // ... and expire by themselves.
    await waitFor("the killed orchestrator's locks to expire", async () => {
      const live = await environment.db.query("SELECT 1 FROM m10_recovery.distributed_locks WHERE expires_at > now()");
      return live.rowCount === 0;
    });
    const next = await runOrchestrator(["--timeout", "3"], env);
    expect(next.code, next.stderr).toBe(0);
    expect(next.report.tasks.every((task) => !task.skipped && task.success)).toBe(true);
  });
});
