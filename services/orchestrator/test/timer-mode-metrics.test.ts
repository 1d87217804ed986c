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
}

async function taskRuns(): Promise<Map<string, TaskRunRow>> {
  const { rows } = await environment.db.query<TaskRunRow>("SELECT task, last_result, last_success_at, runs_success::int, runs_failed::int, runs_skipped::int FROM m10_recovery.maintenance_task_runs");
  return new Map(rows.map((row) => [row.task, row]));
}

describe("orchestrator task runs reach Prometheus in timer mode", () => {
  it("a oneshot run records each task; a skipped run only counts the skip; the collector exports the same series", async () => {
    const env = baseEnv(environment.database.url, uniqueKeys());
    const first = await runOrchestrator(["--tasks", "retention,reclaim_gc"], env);
    expect(first.code).toBe(0);
    const afterFirst = await taskRuns();
    expect(afterFirst.get("retention")).toMatchObject({ last_result: "success", runs_success: 1, runs_failed: 0, runs_skipped: 0 });
    expect(afterFirst.get("reclaim_gc")).toMatchObject({ last_result: "success", runs_success: 1 });
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
    } finally {
      await collector.stop();
    }
  });
});
