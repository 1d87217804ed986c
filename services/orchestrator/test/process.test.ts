// The m10-orchestrator process: flags, exit codes, loop mode with /health and /metrics.
import { waitFor } from "@m10/devstack";
import { startService } from "@m10/devstack/testing";
import { describe, expect, it } from "vitest";
import { baseEnv, runOrchestrator, spawnOrchestrator, task, uniqueKeys, useProcessEnvironment } from "./support/orchestrator.js";

const environment = useProcessEnvironment();

describe("m10-orchestrator process", () => {
  it("runs every task once in the handbook's order and exits 0", async () => {
    const run = await runOrchestrator([], baseEnv(environment.database.url, uniqueKeys()));
    expect(run.code, run.stderr).toBe(0);
    expect(run.report.tasks.map((t) => t.name)).toEqual(["dl_reconcile", "matview_refresh", "outbox_process", "retention", "reclaim_gc", "pending_sweep"]);
    expect(run.report.all_success).toBe(true);
    for (const t of run.report.tasks) {
      expect(Object.keys(t).sort()).toEqual(["details", "duration_seconds", "error", "name", "skip_reason", "skipped", "success"]);
    }
    expect(Object.keys(run.report.durations)).toContain("total_seconds");
    expect(run.report.timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T/);
  });

  it("accepts the runbook's aliases and runs --tasks in the order given", async () => {
    const run = await runOrchestrator(["--tasks", "outbox,matview,reclaim_gc"], baseEnv(environment.database.url, uniqueKeys()));
    expect(run.report.tasks.map((t) => t.name)).toEqual(["outbox_process", "matview_refresh", "reclaim_gc"]);
  });

  it("rejects an unknown task before running anything, with exit code 2", async () => {
    const finished = await spawnOrchestrator(["--tasks", "matview,vacuum", "--json"], baseEnv(environment.database.url)).done;
    expect(finished.code).toBe(2);
    expect(finished.stdout).toBe("");
    expect(finished.stderr).toContain("vacuum");
  });

  it("exits 1 with --json when a task fails, and still prints the whole report", async () => {
    // Nothing listens on port 1: Redis is down, so dl_reconcile fails; the DB-only tasks succeed.
    const run = await runOrchestrator(["--tasks", "dl_reconcile,reclaim_gc"], baseEnv(environment.database.url, { ...uniqueKeys(), REDIS_URL: "redis://127.0.0.1:1" }));
    expect(run.code).toBe(1);
    expect(task(run.report, "dl_reconcile")).toMatchObject({ success: false, skipped: false });
    expect(task(run.report, "dl_reconcile").error).toBeTruthy();
    expect(task(run.report, "reclaim_gc").success).toBe(true);
    expect(run.report.all_success).toBe(false);
  });

  it("prints a readable summary without --json", async () => {
    const finished = await spawnOrchestrator(["--tasks", "reclaim_gc", "--dry-run"], baseEnv(environment.database.url, uniqueKeys())).done;
    expect(finished.code).toBe(0);
    expect(finished.stdout).toMatch(/reclaim_gc\s+ok/);
    expect(finished.stdout).toContain("dry run");
  });

  it("keeps running with --every, serves /health and /metrics, and exits 0 on SIGTERM", async () => {
    const service = await startService("services/orchestrator/bin/m10-orchestrator.js", baseEnv(environment.database.url, uniqueKeys()), ["--every", "1h", "--tasks", "reclaim_gc"]);
    try {
      const health = await fetch(`${service.url}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: "ok", service: "orchestrator" });
      let metrics = "";
      await waitFor("the first run in /metrics", async () => {
        metrics = await (await fetch(`${service.url}/metrics`)).text();
        return /m10_orchestrator_task_runs_total\{task="reclaim_gc",result="success"\} 1/.test(metrics);
      });
      expect(metrics).toMatch(/m10_lock_acquired_total\{lock_name="m10:reclaim_gc"\} 1/);
      const detailed = (await (await fetch(`${service.url}/health/detailed`)).json()) as { runs: number; last_run: { all_success: boolean } };
      expect(detailed.runs).toBe(1);
      expect(detailed.last_run.all_success).toBe(true);
    } finally {
      expect(await service.stop("SIGTERM")).toBe(0);
    }
  });
});
