// Every run's task results into m10_recovery.maintenance_task_runs (migrations 039, 040), so the
// metrics collector can export each task's last run and what it did (its figures, last and summed)
// whether the orchestrator ran as the timer's oneshot (no /metrics of its own) or as the --every
// loop. A skipped task only counts the skip.
import type { Queryable } from "@m10/shared";
import type { TaskResult } from "@m10/maintenance";
import { taskFigures } from "./task-figures.js";

export async function recordTaskRuns(db: Queryable, holder: string, tasks: readonly TaskResult[]): Promise<void> {
  if (tasks.length === 0) return;
  const rows = tasks.map((task) => ({ task: task.name, result: task.skipped ? "skipped" : task.success ? "success" : "failed", duration: task.duration_seconds, figures: taskFigures(task) }));
  await db.query(
    `INSERT INTO m10_recovery.maintenance_task_runs AS r
            (task, last_result, last_finished_at, last_duration_seconds, last_holder, last_success_at, runs_success, runs_failed, runs_skipped,
             last_figures, figures_recorded)
     SELECT t.task,
            NULLIF(t.result, 'skipped'),
            CASE WHEN t.result <> 'skipped' THEN now() END,
            CASE WHEN t.result <> 'skipped' THEN t.duration END,
            CASE WHEN t.result <> 'skipped' THEN $2 END,
            CASE WHEN t.result = 'success' THEN now() END,
            (t.result = 'success')::int, (t.result = 'failed')::int, (t.result = 'skipped')::int,
            t.figures, t.figures
       FROM jsonb_to_recordset($1::jsonb) AS t(task text, result text, duration double precision, figures jsonb)
     ON CONFLICT (task) DO UPDATE SET
            last_result           = COALESCE(EXCLUDED.last_result, r.last_result),
            last_finished_at      = COALESCE(EXCLUDED.last_finished_at, r.last_finished_at),
            last_duration_seconds = COALESCE(EXCLUDED.last_duration_seconds, r.last_duration_seconds),
            last_holder           = COALESCE(EXCLUDED.last_holder, r.last_holder),
            last_success_at       = COALESCE(EXCLUDED.last_success_at, r.last_success_at),
            runs_success          = r.runs_success + EXCLUDED.runs_success,
            runs_failed           = r.runs_failed + EXCLUDED.runs_failed,
            runs_skipped          = r.runs_skipped + EXCLUDED.runs_skipped,
            -- A figure this run did not report keeps its last value; every figure adds to its sum.
            last_figures          = r.last_figures || EXCLUDED.last_figures,
            figures_recorded      = r.figures_recorded || (
              SELECT COALESCE(jsonb_object_agg(f.key, COALESCE((r.figures_recorded ->> f.key)::double precision, 0) + f.value::double precision), '{}'::jsonb)
                FROM jsonb_each_text(EXCLUDED.figures_recorded) AS f(key, value)),
            updated_at            = now()`,
    [JSON.stringify(rows), holder],
  );
}
