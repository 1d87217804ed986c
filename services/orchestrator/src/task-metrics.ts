// The orchestrator's metrics, written from each task's result (the catalogue's orchestrator rows);
// only the --every loop serves them. Its counts come from taskFigures, which every run also records
// in the database for the metrics collector (the series the dashboard reads in both modes).
import type { ServiceMetrics } from "@m10/shared";
import type { LockObserver, TaskResult } from "@m10/maintenance";
import { taskFigures } from "./task-figures.js";

export type OrchestratorMetrics = ServiceMetrics<"orchestrator">;

const count = (value: unknown): number => (typeof value === "number" && Number.isFinite(value) && value > 0 ? value : 0);

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

export function lockObserver(metrics: OrchestratorMetrics): LockObserver {
  return {
    acquired: (lockName) => metrics.m10LockAcquiredTotal.inc({ lock_name: lockName }),
    contended: (lockName) => metrics.m10LockFailedTotal.inc({ lock_name: lockName }),
    released: (lockName, heldSeconds) => {
      metrics.m10LockReleasedTotal.inc({ lock_name: lockName });
      metrics.m10LockDurationSeconds.observe({ lock_name: lockName }, heldSeconds);
    },
  };
}

export function recordTaskMetrics(metrics: OrchestratorMetrics, result: TaskResult): void {
  const outcome = result.skipped ? "skipped" : result.success ? "success" : "failed";
  metrics.m10OrchestratorTaskRunsTotal.inc({ task: result.name, result: outcome });
  if (!result.skipped) metrics.m10OrchestratorTaskDurationSeconds.observe({ task: result.name }, result.duration_seconds);
  const details = result.details;
  const dryRun = details.dry_run === true;
  // The same figures the run records in the database (none for a dry run).
  const figures = taskFigures(result);

  switch (result.name) {
    case "matview_refresh": {
      if (result.skipped) {
        metrics.recoveryMatviewRefreshTotal.inc({ view_name: "mv_top_pending", status: "lock_held" });
        break;
      }
      for (const [view, value] of Object.entries(record(details.views))) {
        const outcomeOf = record(value);
        const status = outcomeOf.action === "refreshed" ? "success" : outcomeOf.action === "failed" ? "failed" : outcomeOf.action === "fresh" ? "fresh" : undefined;
        if (!status) continue;
        metrics.recoveryMatviewRefreshTotal.inc({ view_name: view, status });
        if (status !== "fresh" && typeof outcomeOf.duration_ms === "number") {
          metrics.recoveryMatviewRefreshDurationSeconds.observe({ view_name: view }, outcomeOf.duration_ms / 1000);
        }
      }
      break;
    }
    case "retention":
      metrics.m10ArchiveRetentionDeletedTotal.inc(figures.dead_letter_archive_purge_deleted ?? 0);
      metrics.m10ReplayLogRetentionDeletedTotal.inc(figures.replay_log_purge_deleted ?? 0);
      break;
    case "reclaim_gc": {
      // A dry run only checks (no figures recorded), so count what it found from its details.
      const found = count(details.expired_locks) + count(details.stalled_work) + count(details.expired_evaluation_leases);
      metrics.m10ReclaimGcCheckedTotal.inc(found);
      if (!dryRun) metrics.m10ReclaimGcCleanedTotal.inc(found);
      break;
    }
    case "pending_sweep":
      metrics.recoveryPendingSweepRequeuedTotal.inc(figures.requeued ?? 0);
      break;
    case "dl_reconcile":
      metrics.m10ArchiveTotal.inc({ source: "stream_trim" }, figures.archived ?? 0);
      break;
    default:
      // outbox_process: the delivery engine writes the m10_outbox_* metrics itself.
      break;
  }
}
