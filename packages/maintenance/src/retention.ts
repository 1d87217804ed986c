// retention: per retention_jobs row, archive-then-delete rows past retention_days in bounded
// batches (provenance_archive, inputs_archive; candidates_archive only counts, the contract has no
// candidates archive table), then purge replay_log, the three archive tables and processed outbox
// and work_queue rows past their retention. The archive tables are partitioned by month (migration
// 031): a real run first makes sure the coming months' partitions exist, and each archive purge
// drops whole months past the retention before deleting the rest row by row (a dry run lists the
// months it would drop). Each job's run is recorded in its retention_jobs row (last_run,
// rows_archived, rows_deleted) when the table has one.
import type { Logger } from "pino";
import {
  ARCHIVE_JOBS,
  archiveBatch,
  type ArchiveJobName,
  type ArchivePartition,
  type BatchResult,
  countArchivable,
  countArchivableCandidates,
  countPurgeable,
  dropExpiredPartitions,
  ensureArchivePartitions,
  errorMessage,
  expiredArchivePartitions,
  listRetentionJobs,
  type MaintenanceSettings,
  PURGE_JOBS,
  purgeBatch,
  type PurgeJobName,
  type Queryable,
  recordRetentionRun,
} from "@m10/shared";
import { MaintenanceTaskError } from "./task-run.js";

export type RetentionJobKind = "archive" | "purge" | "count_only";

export const RETENTION_JOB_NAMES = ["provenance_archive", "inputs_archive", "candidates_archive", ...Object.keys(PURGE_JOBS)] as readonly string[];

/** Defaults when retention_jobs has no row (or a NULL retention_days) for a job. */
const DEFAULT_DAYS: Record<string, (settings: MaintenanceSettings) => number> = {
  provenance_archive: () => 90,
  inputs_archive: () => 90,
  candidates_archive: () => 180,
  replay_log_purge: (s) => s.REPLAY_LOG_RETENTION_DAYS,
  dead_letter_archive_purge: (s) => s.DL_ARCHIVE_RETENTION_DAYS,
  provenance_archive_purge: (s) => s.SUGGESTION_ARCHIVE_RETENTION_DAYS,
  inputs_archive_purge: (s) => s.SUGGESTION_ARCHIVE_RETENTION_DAYS,
  outbox_purge: (s) => s.OUTBOX_RETENTION_DAYS,
  work_queue_purge: (s) => s.WORK_QUEUE_RETENTION_DAYS,
};

export class UnknownRetentionJobError extends Error {
  constructor(readonly job: string) {
    super(`unknown retention job "${job}" (expected one of ${RETENTION_JOB_NAMES.join(", ")})`);
    this.name = "UnknownRetentionJobError";
  }
}

export type RetentionJobResult = {
  job: string;
  kind: RetentionJobKind;
  retention_days: number;
  /** Rows past the retention (counted in dry runs and for count-only jobs; null otherwise). */
  eligible: number | null;
  archived: number;
  /** Rows deleted, those of dropped partitions included. */
  deleted: number;
  /**
   * Whole monthly partitions past the retention, with their rows: dropped by this run, or (dry
   * run) that it would drop. Null for a job whose table is not partitioned.
   */
  partitions: ArchivePartition[] | null;
  duration_seconds: number;
  dry_run: boolean;
  /** Whether last_run / rows_archived / rows_deleted were written (there is a retention_jobs row). */
  recorded: boolean;
  error: string | null;
};

export type RetentionDetails = {
  dry_run: boolean;
  /** Archive partitions created ahead by this run (ensure_archive_partitions; 0 in dry runs). */
  partitions_created: number;
  /** Why creating them failed, or null. */
  partitions_error: string | null;
  jobs: RetentionJobResult[];
  total_archived: number;
  total_deleted: number;
};

export interface RetentionProgress {
  job: string;
  done: number;
  total: number;
}

export interface RetentionOptions {
  dryRun: boolean;
  signal: AbortSignal;
  /** Only this job (m10ctl retention --job). */
  job?: string;
  /** Overrides every job's retention (m10ctl retention --retention-days). */
  retentionDays?: number;
  /** Called after every batch; when given, each job is counted first so that `total` is known. */
  progress?: (event: RetentionProgress) => void;
}

export interface RetentionDeps {
  db: Queryable;
  logger: Logger;
  settings: MaintenanceSettings;
}

/** The purge jobs of monthly-partitioned archives (migration 031). */
const PARTITIONED_PURGES = Object.fromEntries(Object.entries(PURGE_JOBS).filter(([, spec]) => "partitioned" in spec));

function kindOf(job: string): RetentionJobKind {
  if (job in ARCHIVE_JOBS) return "archive";
  if (job in PURGE_JOBS) return "purge";
  return "count_only";
}

export async function runRetention(deps: RetentionDeps, options: RetentionOptions): Promise<RetentionDetails> {
  if (options.job !== undefined && !RETENTION_JOB_NAMES.includes(options.job)) throw new UnknownRetentionJobError(options.job);
  const rows = new Map((await listRetentionJobs(deps.db)).map((row) => [row.name, row]));
  const jobs = RETENTION_JOB_NAMES.filter((job) => options.job === undefined || options.job === job);
  const details: RetentionDetails = { dry_run: options.dryRun, partitions_created: 0, partitions_error: null, jobs: [], total_archived: 0, total_deleted: 0 };
  if (!options.dryRun) {
    try {
      details.partitions_created = await ensureArchivePartitions(deps.db);
    } catch (error) {
      details.partitions_error = errorMessage(error);
      deps.logger.error({ err: error }, "retention.partitions_failed");
    }
  }

  for (const job of jobs) {
    const started = performance.now();
    const days = options.retentionDays ?? rows.get(job)?.retention_days ?? DEFAULT_DAYS[job]?.(deps.settings) ?? 90;
    const result: RetentionJobResult = {
      job,
      kind: kindOf(job),
      retention_days: days,
      eligible: null,
      archived: 0,
      deleted: 0,
      partitions: null,
      duration_seconds: 0,
      dry_run: options.dryRun,
      recorded: false,
      error: null,
    };
    try {
      await runJob(deps, options, job, days, result);
    } catch (error) {
      result.error = errorMessage(error);
      deps.logger.error({ err: error, job }, "retention.job_failed");
    }
    if (!options.dryRun && rows.has(job)) {
      try {
        result.recorded = await recordRetentionRun(deps.db, job, result.archived, result.deleted);
      } catch (error) {
        result.error ??= `recording the run failed: ${errorMessage(error)}`;
      }
    }
    result.duration_seconds = Math.round(performance.now() - started) / 1000;
    details.total_archived += result.archived;
    details.total_deleted += result.deleted;
    details.jobs.push(result);
    deps.logger.info(
      { job, retentionDays: days, archived: result.archived, deleted: result.deleted, eligible: result.eligible, dryRun: options.dryRun },
      "retention.job_finished",
    );
  }
  const failed = details.jobs.filter((job) => job.error !== null).map((job) => `${job.job}: ${job.error}`);
  if (details.partitions_error !== null) failed.unshift(`archive partitions: ${details.partitions_error}`);
  if (failed.length > 0) {
    throw new MaintenanceTaskError(`retention failed: ${failed.join("; ")}`, details);
  }
  return details;
}

async function runJob(deps: RetentionDeps, options: RetentionOptions, job: string, days: number, result: RetentionJobResult): Promise<void> {
  const kind = result.kind;
  if (kind === "count_only") {
    result.eligible = await countArchivableCandidates(deps.db, days);
    return;
  }
  const count = () => (kind === "archive" ? countArchivable(deps.db, job as ArchiveJobName, days) : countPurgeable(deps.db, job as PurgeJobName, days));
  const partitioned = kind === "purge" && job in PARTITIONED_PURGES;
  if (partitioned) result.partitions = await expiredArchivePartitions(deps.db, job as PurgeJobName, days);
  if (options.dryRun) {
    result.eligible = await count();
    return;
  }
  const total = options.progress ? await count() : 0;
  if (partitioned) {
    result.deleted += await dropExpiredPartitions(deps.db, job as PurgeJobName, days);
    options.progress?.({ job, done: result.deleted, total: Math.max(total, result.deleted) });
  }
  const batch = (afterId: number): Promise<BatchResult> =>
    kind === "archive"
      ? archiveBatch(deps.db, job as ArchiveJobName, days, deps.settings.M10_RETENTION_BATCH_SIZE, afterId)
      : purgeBatch(deps.db, job as PurgeJobName, days, deps.settings.M10_RETENTION_BATCH_SIZE, afterId);
  let afterId = 0;
  for (;;) {
    if (options.signal.aborted) {
      result.error = `interrupted: ${options.signal.reason instanceof Error ? options.signal.reason.message : "stop requested"}`;
      return;
    }
    const step = await batch(afterId);
    result.archived += step.archived;
    result.deleted += step.deleted;
    options.progress?.({ job, done: result.deleted, total: Math.max(total, result.deleted) });
    if (step.lastId === null) return;
    afterId = step.lastId;
  }
}
