// What a task run did, as the figures every run records in maintenance_task_runs (decision 16,
// amended) and as this process's own counters: both come from taskFigures, so they agree.
import { createMetrics } from "@m10/shared";
import type { TaskResult } from "@m10/maintenance";
import { parseExposition, valueOf } from "@m10/devstack/testing";
import { describe, expect, it } from "vitest";
import { taskFigures } from "../src/task-figures.js";
import { recordTaskMetrics } from "../src/task-metrics.js";

const run = (name: string, details: Record<string, unknown>, extra: Partial<TaskResult> = {}): TaskResult => ({
  name,
  success: true,
  skipped: false,
  skip_reason: null,
  error: null,
  duration_seconds: 0.5,
  details,
  ...extra,
});

const retention = run("retention", {
  dry_run: false,
  partitions_created: 2,
  total_archived: 0,
  total_deleted: 7,
  jobs: [
    { job: "dead_letter_archive_purge", deleted: 5 },
    { job: "replay_log_purge", deleted: 2 },
  ],
});

describe("taskFigures", () => {
  it("names what each task did: per retention job, per refreshed view, the counts of the others", () => {
    expect(taskFigures(retention)).toEqual({ partitions_created: 2, total_archived: 0, total_deleted: 7, dead_letter_archive_purge_deleted: 5, replay_log_purge_deleted: 2 });
    expect(
      taskFigures(run("matview_refresh", { refreshed_count: 1, views: { mv_top_pending: { action: "refreshed", duration_ms: 250 }, mv_other: { action: "fresh", duration_ms: null } } })),
    ).toEqual({ refreshed: 1, mv_top_pending_refresh_seconds: 0.25 });
    expect(taskFigures(run("reclaim_gc", { dry_run: false, expired_locks: 1, stalled_work: 3, expired_evaluation_leases: 0 }))).toEqual({ expired_locks: 1, stalled_work: 3, expired_evaluation_leases: 0 });
    // A failed run still reports what it did before failing.
    expect(taskFigures(run("pending_sweep", { requeued: 4, candidate_ids: [1, 2] }, { success: false, error: "boom" }))).toEqual({ requeued: 4 });
  });

  it("has none for a skipped run or a dry run (they did nothing)", () => {
    expect(taskFigures(run("retention", { lock_name: "m10:orchestrator", held_by: "other" }, { skipped: true, skip_reason: "held" }))).toEqual({});
    expect(taskFigures(run("reclaim_gc", { dry_run: true, expired_locks: 3, stalled_work: 0, expired_evaluation_leases: 0 }))).toEqual({});
  });

  it("is what the --every loop's counters count", async () => {
    const { registry, metrics } = createMetrics("orchestrator", { defaultMetrics: false });
    recordTaskMetrics(metrics, retention);
    recordTaskMetrics(metrics, run("dl_reconcile", { dry_run: false, archived: 3, trimmed: 3 }));
    recordTaskMetrics(metrics, run("reclaim_gc", { dry_run: true, expired_locks: 3, stalled_work: 0, expired_evaluation_leases: 0 }));
    const exposition = parseExposition(await registry.metrics());
    expect(valueOf(exposition, "m10_archive_retention_deleted_total")).toBe(5);
    expect(valueOf(exposition, "m10_replay_log_retention_deleted_total")).toBe(2);
    expect(valueOf(exposition, "m10_archive_total", { source: "stream_trim" })).toBe(3);
    // A dry run is checked, not cleaned.
    expect(valueOf(exposition, "m10_reclaim_gc_checked_total")).toBe(3);
    expect(valueOf(exposition, "m10_reclaim_gc_cleaned_total")).toBe(0);
  });
});
