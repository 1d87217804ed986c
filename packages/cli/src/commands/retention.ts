import { positiveInt } from "@m10/shared";
import { RETENTION_JOB_NAMES, type RetentionJobResult, runRetention } from "@m10/maintenance";
import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import { context } from "../context.js";
import { runLockedTask, taskExitCode, taskHeadline } from "../locked-task.js";
import type { Output } from "../output.js";
import { createProgress } from "../progress.js";
import { table } from "../table.js";

function jobName(value: string): string {
  if (!RETENTION_JOB_NAMES.includes(value)) throw new InvalidArgumentError(`expected one of ${RETENTION_JOB_NAMES.join(", ")}`);
  return value;
}

export function registerRetention(program: Command, output: () => Output): void {
  program
    .command("retention")
    .description("archive and purge rows past their retention (the orchestrator's retention task, under lock m10:retention_cleanup)")
    .option("--dry-run", "count what would be archived or deleted; change nothing", false)
    .option("--job <name>", `only this job: ${RETENTION_JOB_NAMES.join(", ")}`, jobName)
    .option("--retention-days <n>", "override every job's retention_days", positiveInt)
    .option("--timeout <seconds>", "give up after this long (default M10_ORCHESTRATOR_TIMEOUT)", positiveInt)
    .addHelpText(
      "after",
      `
Jobs: provenance_archive and inputs_archive move rows older than retention_jobs.retention_days into the
*_archive tables (in batches of M10_RETENTION_BATCH_SIZE); candidates_archive counts reviewed candidates
(there is no candidates archive table); replay_log_purge, dead_letter_archive_purge,
provenance_archive_purge, inputs_archive_purge, outbox_purge and work_queue_purge delete rows past
REPLAY_LOG_RETENTION_DAYS, DL_ARCHIVE_RETENTION_DAYS, SUGGESTION_ARCHIVE_RETENTION_DAYS (both suggestion
archives), OUTBOX_RETENTION_DAYS and WORK_QUEUE_RETENTION_DAYS (or a retention_jobs row of that name).
Each run updates last_run, rows_archived and rows_deleted of its retention_jobs row. The archive tables
are partitioned by month (migration 031): a real run first creates the next 3 months' partitions
(details.partitions_created), and the three archive purges drop whole months past the retention before
deleting the rest; the partitions column lists those months and their rows (--dry-run: the months it
would drop).

Examples:
  m10ctl retention --dry-run            # see what would be archived
  m10ctl retention                      # archive with each job's retention
  m10ctl retention --retention-days 60
  m10ctl retention --job provenance_archive
  m10ctl retention --json`,
    )
    .action(async (options: { dryRun: boolean; job?: string; retentionDays?: number; timeout?: number }) => {
      const ctx = context();
      const out = output();
      const progress = createProgress(out.json);
      let result;
      try {
        result = await runLockedTask(ctx, "retention", { dryRun: options.dryRun, timeoutSeconds: options.timeout }, (signal) =>
          runRetention(
            { db: ctx.db(), logger: ctx.logger, settings: ctx.config },
            {
              dryRun: options.dryRun,
              signal,
              job: options.job,
              retentionDays: options.retentionDays,
              progress: (event) => progress.update(event.done, event.total, event.job),
            },
          ),
        );
      } finally {
        progress.stop();
      }
      out.result(
        result,
        () => {
          const jobs = (result.details.jobs ?? []) as RetentionJobResult[];
          return [
            taskHeadline(result),
            table(
              ["job", "retention_days", options.dryRun ? "would_affect" : "archived", "deleted", options.dryRun ? "would_drop" : "partitions", "seconds", "error"],
              jobs.map((j) => [
                j.job,
                j.retention_days,
                options.dryRun || j.kind === "count_only" ? j.eligible : j.archived,
                j.deleted,
                j.partitions?.map((p) => `${p.partition} (${p.rows} rows)`).join(", "),
                j.duration_seconds,
                j.error,
              ]),
            ),
          ].join("\n");
        },
        taskExitCode(result),
      );
    });
}
