// What a task run did, as flat numeric figures (name -> number): recorded per run in
// m10_recovery.maintenance_task_runs (migration 040) so the metrics collector exports them in timer
// mode as in --every mode, and the source of this process's own counters (task-metrics.ts), so
// both count the same things. A skipped run or a dry run did nothing: no figures.
import type { TaskResult } from "@m10/maintenance";

type TaskFigures = Record<string, number>;

/** Details fields copied as they are, by task. */
const COPIED: Readonly<Record<string, readonly string[]>> = {
  retention: ["partitions_created", "total_archived", "total_deleted"],
  reclaim_gc: ["expired_locks", "stalled_work", "expired_evaluation_leases"],
  pending_sweep: ["requeued"],
  dl_reconcile: ["archived", "trimmed"],
  outbox_process: ["delivered", "retried", "dead_lettered"],
};

const isFigure = (value: unknown): value is number => typeof value === "number" && Number.isFinite(value) && value >= 0;

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

export function taskFigures(result: TaskResult): TaskFigures {
  const details = result.details;
  if (result.skipped || details.dry_run === true) return {};
  const figures: TaskFigures = {};
  for (const field of COPIED[result.name] ?? []) if (isFigure(details[field])) figures[field] = details[field];
  if (result.name === "retention") {
    // Per job: dead_letter_archive_purge_deleted, replay_log_purge_deleted, ...
    for (const job of Array.isArray(details.jobs) ? details.jobs.map(record) : []) {
      if (typeof job.job === "string" && isFigure(job.deleted)) figures[`${job.job}_deleted`] = job.deleted;
    }
  }
  if (result.name === "matview_refresh") {
    // Per view that was refreshed (or failed refreshing): mv_top_pending_refresh_seconds, ...
    if (isFigure(details.refreshed_count)) figures.refreshed = details.refreshed_count;
    for (const [view, value] of Object.entries(record(details.views))) {
      const outcome = record(value);
      if ((outcome.action === "refreshed" || outcome.action === "failed") && isFigure(outcome.duration_ms)) {
        figures[`${view}_refresh_seconds`] = outcome.duration_ms / 1000;
      }
    }
  }
  return figures;
}
