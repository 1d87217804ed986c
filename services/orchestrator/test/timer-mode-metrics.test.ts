// Orchestrator metrics in timer mode (issue 14, docs/architecture.md §4.1 decision 16): the
// systemd timer's oneshot run serves no /metrics, so every run records its tasks in
// m10_recovery.maintenance_task_runs and the metrics collector exports them. Real processes: the
// oneshot orchestrator as the timer starts it, then the metrics collector.
import { scrape, startService, testStack, valueOf, waitUntil } from "@m10/devstack/testing";
import { describe, expect, it } from "vitest";
import { baseEnv, runOrchestrator, uniqueKeys, useProcessEnvironment } from "./support/orchestrator.js";

const environment = useProcessEnvironment();

interface TaskRunRow {
  task: string;
  last_result: string | null;
  last_success_at: Date | null;
  runs_success: number;
  runs_failed: number;
  runs_skipped: number;
  last_figures: Record<string, number>;
  figures_recorded: Record<string, number>;
}

async function taskRuns(): Promise<Map<string, TaskRunRow>> {
  const { rows } = await environment.db.query<TaskRunRow>(
    "SELECT task, last_result, last_success_at, runs_success::int, runs_failed::int, runs_skipped::int, last_figures, figures_recorded FROM m10_recovery.maintenance_task_runs",
  );
  return new Map(rows.map((row) => [row.task, row]));
}

/** Locks whose holders died: reclaim_gc deletes them and reports how many (its expired_locks figure). */
async function expiredLocks(...names: string[]): Promise<void> {
  for (const name of names) {
    await environment.db.query("INSERT INTO m10_recovery.distributed_locks (lock_name, holder_id, expires_at) VALUES ($1, 'dead-host', now() - interval '1 minute')", [name]);
  }
}

describe("orchestrator task runs reach Prometheus in timer mode", () => {
  it("a oneshot run records each task and its figures; a skipped run only counts the skip; the collector exports the same series", async () => {
    const env = baseEnv(environment.database.url, uniqueKeys());
    await expiredLocks("m10:test:expired-1");
    const first = await runOrchestrator(["--tasks", "retention,reclaim_gc"], env);
    expect(first.code).toBe(0);
    const afterFirst = await taskRuns();
    expect(afterFirst.get("retention")).toMatchObject({ last_result: "success", runs_success: 1, runs_failed: 0, runs_skipped: 0 });
    expect(afterFirst.get("reclaim_gc")).toMatchObject({ last_result: "success", runs_success: 1 });
    // What each run did, next to its counts (migration 040).
    expect(afterFirst.get("reclaim_gc")?.last_figures).toMatchObject({ expired_locks: 1, stalled_work: 0, expired_evaluation_leases: 0 });
    expect(afterFirst.get("reclaim_gc")?.figures_recorded).toMatchObject({ expired_locks: 1 });
    expect(afterFirst.get("retention")?.last_figures).toMatchObject({ dead_letter_archive_purge_deleted: 0, replay_log_purge_deleted: 0 });
    const firstSuccess = afterFirst.get("retention")?.last_success_at;

    // Another host holds the leader lock: this run skips every task and records only the skips.
    await environment.db.query("SELECT m10_recovery.acquire_lock('m10:orchestrator', 'other-host', 300)");
    const skipped = await runOrchestrator(["--tasks", "retention"], env);
    expect(skipped.report.tasks.every((task) => task.skipped)).toBe(true);
    await environment.db.query("SELECT m10_recovery.release_lock('m10:orchestrator', 'other-host')");
    const afterSkip = await taskRuns();
    expect(afterSkip.get("retention")).toMatchObject({ last_result: "success", runs_success: 1, runs_skipped: 1 });
    expect(afterSkip.get("retention")?.last_success_at).toEqual(firstSuccess);

    // A dry run changes nothing and records nothing.
    await runOrchestrator(["--tasks", "retention", "--dry-run"], env);
    expect((await taskRuns()).get("retention")).toMatchObject({ runs_success: 1, runs_skipped: 1 });

    // A second real run: its figures become the last ones and add to the sums.
    await expiredLocks("m10:test:expired-2", "m10:test:expired-3");
    expect((await runOrchestrator(["--tasks", "reclaim_gc"], env)).code).toBe(0);
    const reclaim = (await taskRuns()).get("reclaim_gc");
    expect(reclaim).toMatchObject({ runs_success: 2 });
    expect(reclaim?.last_figures.expired_locks).toBe(2);
    expect(reclaim?.figures_recorded.expired_locks).toBe(3);

    const collector = await startService("services/metrics-collector/bin/m10-metrics-collector.js", {
      DATABASE_URL: environment.database.url,
      REDIS_URL: testStack().redisUrl,
      M10_METRICS_INTERVAL: "1",
      ...env,
    });
    try {
      // The first collection pass runs right after start; wait for it rather than for a fixed time.
      await waitUntil("the collector's first pass", async () => valueOf(await scrape(collector), "m10_orchestrator_task_runs_recorded", { task: "retention", result: "success" }) !== undefined);
      const exposition = await scrape(collector);
      expect(valueOf(exposition, "m10_orchestrator_task_runs_recorded", { task: "retention", result: "success" })).toBe(1);
      expect(valueOf(exposition, "m10_orchestrator_task_runs_recorded", { task: "retention", result: "skipped" })).toBe(1);
      expect(valueOf(exposition, "m10_orchestrator_task_last_success", { task: "reclaim_gc" })).toBe(1);
      expect(valueOf(exposition, "m10_orchestrator_task_last_success_timestamp_seconds", { task: "retention" })).toBe((firstSuccess?.getTime() ?? 0) / 1000);
      expect(valueOf(exposition, "m10_orchestrator_task_last_duration_seconds", { task: "retention" })).toBeGreaterThanOrEqual(0);
      // The figures the dashboard's maintenance panels read, in timer mode.
      expect(valueOf(exposition, "m10_orchestrator_task_last_figure", { task: "reclaim_gc", figure: "expired_locks" })).toBe(2);
      expect(valueOf(exposition, "m10_orchestrator_task_figure_recorded", { task: "reclaim_gc", figure: "expired_locks" })).toBe(3);
      expect(valueOf(exposition, "m10_orchestrator_task_figure_recorded", { task: "retention", figure: "dead_letter_archive_purge_deleted" })).toBe(0);
    } finally {
      await collector.stop();
    }
    // Four orchestrator processes and a collector, one after another: more than the default minute
    // on the shared 2-core machine.
  }, 180_000);
});
