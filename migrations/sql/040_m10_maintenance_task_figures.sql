-- 040_m10_maintenance_task_figures
-- What each orchestrator task run did, next to its run counts (issue 14, schema decision 16 as
-- amended): rows deleted, candidates requeued, locks released, refresh seconds... Every run writes
-- them, the timer's oneshot as well as the --every loop, and the metrics collector exports them
-- (m10_orchestrator_task_last_figure, m10_orchestrator_task_figure_recorded), so the dashboard's
-- maintenance panels read the same series in both modes.
--   last_figures      each figure's value at the last run that reported it (a run that did not
--                     report a figure, e.g. a view that was fresh, keeps the previous value);
--   figures_recorded  each figure summed over every recorded run (only grows: increase() works).

-- Up Migration

ALTER TABLE m10_recovery.maintenance_task_runs
    ADD COLUMN last_figures     jsonb NOT NULL DEFAULT '{}'::jsonb,
    ADD COLUMN figures_recorded jsonb NOT NULL DEFAULT '{}'::jsonb;

COMMENT ON COLUMN m10_recovery.maintenance_task_runs.last_figures IS
    'Each figure (name -> number) at the last run of the task that reported it';
COMMENT ON COLUMN m10_recovery.maintenance_task_runs.figures_recorded IS
    'Each figure (name -> number) summed over every recorded run of the task';

-- Down Migration

ALTER TABLE m10_recovery.maintenance_task_runs
    DROP COLUMN figures_recorded,
    DROP COLUMN last_figures;
