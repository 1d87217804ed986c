/**
 * The PostgreSQL side of M10's state gauges: backlog counts, outbox lag, archive sizes,
 * materialized-view freshness and live locks. Read every M10_METRICS_INTERVAL by the metrics
 * collector (and usable by any operator tool that wants the same numbers).
 *
 * Every statement is bounded: the backlog counts run on partial indexes (pending work_queue and
 * outbox rows, pending and unevaluated candidates), the archive counts on tables the retention
 * task keeps small, the matview list comes from the catalog, and the lock list has a LIMIT.
 */
import type { Queryable } from "./pool.js";

/** Claimed, unprocessed work_queue rows older than this are "stalled" (the dashboard's DB Queue Stalled). */
export const WORK_QUEUE_STALLED_AFTER_SECONDS = 300;

export interface BacklogGauges {
  /** work_queue rows with processed_at IS NULL. */
  dbQueueDepth: number;
  /** work_queue rows claimed, unprocessed, claimed more than WORK_QUEUE_STALLED_AFTER_SECONDS ago. */
  dbQueueStalled: number;
  /** recovery_candidates with decision = 'pending'. */
  candidatesPending: number;
  /** recovery_candidates with evaluated_at IS NULL. */
  candidatesUnevaluated: number;
  /** outbox rows with processed_at IS NULL (due or waiting for a retry). */
  outboxPending: number;
  /** now() - min(created_at) of the pending outbox rows, in seconds; 0 when none is pending. */
  outboxLagSeconds: number;
  /** Rows in dead_letter_archive. */
  deadLetterArchiveRows: number;
  /** Rows in replay_log. */
  replayLogRows: number;
}

// count(*) is bigint and extract() numeric: strings unless a type parser is installed.
type Numeric = number | string;

interface BacklogRow {
  db_queue_depth: Numeric;
  db_queue_stalled: Numeric;
  candidates_pending: Numeric;
  candidates_unevaluated: Numeric;
  outbox_pending: Numeric;
  outbox_lag_seconds: Numeric;
  dead_letter_archive_rows: Numeric;
  replay_log_rows: Numeric;
}

/** One round trip for every count. */
export async function readBacklogGauges(db: Queryable): Promise<BacklogGauges> {
  const { rows } = await db.query<BacklogRow>(
    `SELECT
       (SELECT count(*) FROM m10_recovery.work_queue WHERE processed_at IS NULL) AS db_queue_depth,
       (SELECT count(*) FROM m10_recovery.work_queue
         WHERE processed_at IS NULL AND claimed_at IS NOT NULL
           AND claimed_at < now() - make_interval(secs => $1)) AS db_queue_stalled,
       (SELECT count(*) FROM public.recovery_candidates WHERE decision = 'pending') AS candidates_pending,
       (SELECT count(*) FROM public.recovery_candidates WHERE evaluated_at IS NULL) AS candidates_unevaluated,
       (SELECT count(*) FROM m10_recovery.outbox WHERE processed_at IS NULL) AS outbox_pending,
       (SELECT COALESCE(GREATEST(extract(epoch FROM now() - min(created_at)), 0), 0)
          FROM m10_recovery.outbox WHERE processed_at IS NULL) AS outbox_lag_seconds,
       (SELECT count(*) FROM m10_recovery.dead_letter_archive) AS dead_letter_archive_rows,
       (SELECT count(*) FROM m10_recovery.replay_log) AS replay_log_rows`,
    [WORK_QUEUE_STALLED_AFTER_SECONDS],
  );
  const row = rows[0];
  if (!row) throw new Error("readBacklogGauges: the counting query returned no row");
  return {
    dbQueueDepth: Number(row.db_queue_depth),
    dbQueueStalled: Number(row.db_queue_stalled),
    candidatesPending: Number(row.candidates_pending),
    candidatesUnevaluated: Number(row.candidates_unevaluated),
    outboxPending: Number(row.outbox_pending),
    outboxLagSeconds: Number(row.outbox_lag_seconds),
    deadLetterArchiveRows: Number(row.dead_letter_archive_rows),
    replayLogRows: Number(row.replay_log_rows),
  };
}

export interface MatviewSuccessAge {
  viewName: string;
  /** completed_at of the last successful refresh in matview_refresh_log; null if none succeeded (or none is logged). */
  lastSuccessAt: Date | null;
  /** Seconds since lastSuccessAt; null when there is none. */
  ageSeconds: number | null;
}

/**
 * Freshness of every materialized view in the m10_recovery schema, from successful refreshes only
 * (the matview_freshness view also counts failed attempts, which would make a view that fails to
 * refresh look fresh). A view that was never refreshed successfully is listed with nulls.
 */
export async function readMatviewFreshness(db: Queryable): Promise<MatviewSuccessAge[]> {
  const { rows } = await db.query<{ view_name: string; last_success: Date | null; age_seconds: string | null }>(
    `SELECT v.matviewname AS view_name,
            s.last_success,
            extract(epoch FROM now() - s.last_success) AS age_seconds
       FROM pg_matviews v
       LEFT JOIN LATERAL (
            SELECT max(l.completed_at) AS last_success
              FROM m10_recovery.matview_refresh_log l
             WHERE l.view_name = v.matviewname AND l.success AND l.completed_at IS NOT NULL
       ) s ON true
      WHERE v.schemaname = 'm10_recovery'
      ORDER BY v.matviewname`,
  );
  return rows.map((row) => ({
    viewName: row.view_name,
    lastSuccessAt: row.last_success,
    ageSeconds: row.age_seconds === null ? null : Math.max(0, Number(row.age_seconds)),
  }));
}

export interface ActiveLock {
  lockName: string;
  holderId: string;
  expiresAt: Date;
}

/** Unexpired rows of distributed_locks (at most `limit`, by name). */
export async function readActiveLocks(db: Queryable, limit = 1_000): Promise<ActiveLock[]> {
  const { rows } = await db.query<{ lock_name: string; holder_id: string; expires_at: Date }>(
    `SELECT lock_name, holder_id, expires_at
       FROM m10_recovery.distributed_locks
      WHERE expires_at > now()
      ORDER BY lock_name
      LIMIT $1`,
    [limit],
  );
  return rows.map((row) => ({ lockName: row.lock_name, holderId: row.holder_id, expiresAt: row.expires_at }));
}

/** A maintenance task's runs as the orchestrator recorded them (m10_recovery.maintenance_task_runs, migrations 039 and 040). */
export interface MaintenanceTaskRuns {
  task: string;
  /** success or failed; null while every run of the task was skipped. */
  lastResult: "success" | "failed" | null;
  lastFinishedAt: Date | null;
  lastDurationSeconds: number | null;
  lastSuccessAt: Date | null;
  runs: { success: number; failed: number; skipped: number };
  /** Each figure (rows deleted, requeued, refresh seconds...) at the last run that reported it. */
  lastFigures: Record<string, number>;
  /** Each figure summed over every recorded run. */
  figuresRecorded: Record<string, number>;
}

/** Postgres' undefined_table / undefined_column: the schema predates the table or its columns (migration pending). */
const SCHEMA_PENDING = new Set(["42P01", "42703"]);

/**
 * Every task's recorded runs, by task name; none while migration 039 or 040 is not applied yet
 * (services upgraded before the migration keep their other gauges).
 */
export async function readMaintenanceTaskRuns(db: Queryable): Promise<MaintenanceTaskRuns[]> {
  const result = await db.query<{
    task: string;
    last_result: "success" | "failed" | null;
    last_finished_at: Date | null;
    last_duration_seconds: number | null;
    last_success_at: Date | null;
    runs_success: string;
    runs_failed: string;
    runs_skipped: string;
    last_figures: Record<string, number>;
    figures_recorded: Record<string, number>;
  }>(
    `SELECT task, last_result, last_finished_at, last_duration_seconds, last_success_at, runs_success, runs_failed, runs_skipped,
            last_figures, figures_recorded
       FROM m10_recovery.maintenance_task_runs
      ORDER BY task`,
  ).catch((error: unknown) => {
    if (SCHEMA_PENDING.has((error as { code?: string }).code ?? "")) return undefined;
    throw error;
  });
  return (result?.rows ?? []).map((row) => ({
    task: row.task,
    lastResult: row.last_result,
    lastFinishedAt: row.last_finished_at,
    lastDurationSeconds: row.last_duration_seconds,
    lastSuccessAt: row.last_success_at,
    runs: { success: Number(row.runs_success), failed: Number(row.runs_failed), skipped: Number(row.runs_skipped) },
    lastFigures: row.last_figures,
    figuresRecorded: row.figures_recorded,
  }));
}
