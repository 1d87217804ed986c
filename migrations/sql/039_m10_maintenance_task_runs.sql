-- 039_m10_maintenance_task_runs
-- The orchestrator's task runs, in the database (issue 14, schema decision 16): one row per task
-- with its last run and how many runs ended in each result. Every orchestrator run writes it,
-- whether the systemd timer started a oneshot (which serves no /metrics) or the --every loop runs;
-- the metrics collector exports it (m10_orchestrator_task_last_*), so both modes show the same
-- series. A run that skipped a task (another host held the lock) only counts the skip: the last
-- run stays the one that did the work.

-- Up Migration

CREATE TABLE m10_recovery.maintenance_task_runs (
    task                  text             NOT NULL,
    last_result           text,
    last_finished_at      timestamptz,
    last_duration_seconds double precision,
    last_holder           text,
    last_success_at       timestamptz,
    runs_success          bigint           NOT NULL DEFAULT 0,
    runs_failed           bigint           NOT NULL DEFAULT 0,
    runs_skipped          bigint           NOT NULL DEFAULT 0,
    updated_at            timestamptz      NOT NULL DEFAULT now(),
    CONSTRAINT maintenance_task_runs_pkey PRIMARY KEY (task),
    CONSTRAINT maintenance_task_runs_result_check CHECK (last_result IN ('success', 'failed'))
);

COMMENT ON TABLE m10_recovery.maintenance_task_runs IS
    'One row per orchestrator task: its last run (not skipped) and run counts by result; exported by the metrics collector';

-- Down Migration

DROP TABLE m10_recovery.maintenance_task_runs;
