// The orchestrator's metrics, written from each task's result (the catalogue's orchestrator rows).
import type { ServiceMetrics } from "@m10/shared";
import type { LockObserver, TaskResult } from "@m10/maintenance";

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
    case "retention": {
      if (dryRun) break;
      for (const job of Array.isArray(details.jobs) ? details.jobs.map(record) : []) {
        if (job.job === "dead_letter_archive_purge") metrics.m10ArchiveRetentionDeletedTotal.inc(count(job.deleted));
        if (job.job === "replay_log_purge") metrics.m10ReplayLogRetentionDeletedTotal.inc(count(job.deleted));
      }
      break;
    }
    case "reclaim_gc": {
      const found = count(details.expired_locks) + count(details.stalled_work) + count(details.expired_evaluation_leases);
      metrics.m10ReclaimGcCheckedTotal.inc(found);
      if (!dryRun) metrics.m10ReclaimGcCleanedTotal.inc(found);
      break;
    }
    case "pending_sweep":
      if (!dryRun) metrics.recoveryPendingSweepRequeuedTotal.inc(count(details.requeued));
      break;
    case "dl_reconcile":
      if (!dryRun) metrics.m10ArchiveTotal.inc({ source: "stream_trim" }, count(details.archived));
      break;
    default:
      // outbox_process: the delivery engine writes the m10_outbox_* metrics itself.
      break;
  }
}
