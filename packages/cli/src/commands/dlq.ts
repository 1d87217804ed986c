import {
  DEAD_LETTER_HANDLED_STATUSES,
  deadLetterLength,
  type DeadLetterOperationsDeps,
  type DeadLetterReplayOutcome,
  deadLetterReport,
  type DeadLetterSource,
  inspectDeadLetter,
  listDeadLetterSources,
  positiveInt,
  replayAllDeadLetters,
  replayOneDeadLetter,
  resolveDeadLetter,
} from "@m10/shared";
import { MaintenanceTaskError } from "@m10/maintenance";
import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import { context, type Context } from "../context.js";
import { runLockedTask, taskExitCode, taskHeadline } from "../locked-task.js";
import { CommandError, EXIT_FAILED, EXIT_USAGE, type Output } from "../output.js";
import { createProgress } from "../progress.js";
import { keyValues, table } from "../table.js";

function deadLetterDeps(ctx: Context, stream?: string): DeadLetterOperationsDeps {
  return {
    // A getter: the pool (and DATABASE_URL's check) only when an operation reaches PostgreSQL.
    get db() {
      return ctx.db();
    },
    redis: () => ctx.redis(),
    keys: stream === undefined ? ctx.keys : { ...ctx.keys, deadLetter: stream },
    actor: ctx.holder,
    logger: ctx.logger,
    // m10ctl has no /metrics endpoint: these counts end with the process (see context.ts).
    metrics: ctx.metrics,
  };
}

/** The Phase 7 DLQ tool's flags, on every verb: --stream <dead-letter stream> and (where an id is taken) --id. */
interface SeedFlags {
  stream?: string;
  id?: string;
}

/**
 * The dead-letter operations for --stream: M10_DEAD_LETTER_STREAM when absent; another key only if
 * that stream exists, so the seed's `--stream identity.dlq` is refused instead of reading nothing.
 */
async function dlqDeps(ctx: Context, options: SeedFlags): Promise<DeadLetterOperationsDeps> {
  const { stream } = options;
  if (stream === undefined || stream === ctx.keys.deadLetter) return deadLetterDeps(ctx);
  if ((await (await ctx.redis()).exists(stream)) === 0) {
    throw new CommandError(`no stream ${stream}: M10's dead-letter stream is ${ctx.keys.deadLetter} (M10_DEAD_LETTER_STREAM); outbox dead letters are in dead_letter_archive`, EXIT_USAGE);
  }
  return deadLetterDeps(ctx, stream);
}

/** The dead letter named by the argument or by --id (the seed's form); exactly one of them. */
function dlqId(argument: string | undefined, options: SeedFlags): string {
  if (argument !== undefined && options.id !== undefined && argument !== options.id) throw new CommandError("give the dead-letter id once: as the argument or as --id", EXIT_USAGE);
  const id = argument ?? options.id;
  if (id === undefined) throw new CommandError("give a dead-letter id (argument or --id)", EXIT_USAGE);
  return id;
}

const STREAM_FLAG = ["--stream <key>", "dead-letter stream (default M10_DEAD_LETTER_STREAM, m10:evaluate:dead-letter)"] as const;
const ID_FLAG = ["--id <id>", "the dead letter (the seed's form of the argument)"] as const;

function source(value: string): DeadLetterSource {
  if (value !== "stream" && value !== "archive" && value !== "all") throw new InvalidArgumentError("expected stream, archive or all");
  return value;
}

function replayLine(result: DeadLetterReplayOutcome): string {
  const where = result.source ? ` (${result.source}${result.kind === "outbox" ? ", outbox event" : ""})` : "";
  const candidate = result.candidate_id !== null ? ` candidate ${result.candidate_id}` : "";
  const target = result.new_message_id ? ` -> ${result.new_message_id}` : "";
  return `${result.id}${where}:${candidate} ${result.status}${target}`;
}

export function registerDlq(program: Command, output: () => Output): void {
  const dlq = program
    .command("dlq")
    .description("dead letters: the stream m10:evaluate:dead-letter and m10_recovery.dead_letter_archive (outbox dead letters too)")
    .addHelpText(
      "after",
      `
Ids: a dead-letter stream id (1700000000000-0), an archive row id (42) or an original message id
(outbox:42 for a dead-lettered outbox event).

Examples:
  m10ctl dlq list                       # newest dead letters in the stream and the archive
  m10ctl dlq inspect 1700000000000-0
  m10ctl dlq replay 1700000000000-0     # once: record_replay makes a repeat a no-op
  m10ctl dlq replay outbox:42           # re-publish a dead-lettered outbox event
  m10ctl dlq replay --all --dry-run     # what a replay of the whole stream would do
  m10ctl dlq resolve 1700000000000-0 --note "bad payload, fixed upstream"
  m10ctl dlq report --hours 24          # counts by failure reason

The Phase 7 DLQ tool's forms work too: list --count N, inspect|reprocess|resolve --id ID,
reprocess (= replay), and --stream KEY on every verb (the dead-letter stream; default
M10_DEAD_LETTER_STREAM).
  m10ctl dlq list --stream m10:evaluate:dead-letter --count 20
  m10ctl dlq reprocess --stream m10:evaluate:dead-letter --id 1700000000000-0`,
    );

  dlq
    .command("list")
    .description("newest dead letters: stream entries and archive rows")
    .option("--limit <n>", "entries of each source", positiveInt, 20)
    .option("--source <source>", "stream, archive or all", source, "all")
    .option("--count <n>", "the seed's name for --limit", positiveInt)
    .option("--reason <reason>", "archive rows with this reason only")
    .option(...STREAM_FLAG)
    .action(async (options: SeedFlags & { limit: number; count?: number; source: DeadLetterSource; reason?: string }) => {
      const deps = await dlqDeps(context(), options);
      const { stream, archive } = await listDeadLetterSources(deps, { limit: options.count ?? options.limit, source: options.source, reason: options.reason });
      const data = {
        ...(stream && {
          stream: {
            key: stream.key,
            length: stream.length,
            entries: stream.entries.map((e) => ({
              id: e.id,
              original_msg_id: e.originalMsgId,
              reason: e.reason,
              dead_lettered_at: e.deadLetteredAt,
              consumer: e.consumer,
              candidate_id: e.candidateId,
            })),
          },
        }),
        ...(archive && {
          archive: {
            rows: archive.rows.map((r) => ({
              id: r.id,
              dl_msg_id: r.dl_msg_id,
              original_msg_id: r.original_msg_id,
              candidate_id: r.candidate_id,
              reason: r.reason,
              reclaim_count: r.reclaim_count,
              dead_lettered_at: r.dead_lettered_at,
              archived_at: r.archived_at,
              archived_by: r.archived_by,
            })),
          },
        }),
      };
      output().result(data, () => {
        const parts: string[] = [];
        if (stream) {
          parts.push(`stream ${stream.key}: ${stream.length} entries`);
          parts.push(table(["id", "original_msg_id", "reason", "dead_lettered_at", "candidate"], stream.entries.map((e) => [e.id, e.originalMsgId, e.reason, e.deadLetteredAt, e.candidateId])));
        }
        if (archive) {
          parts.push("archive m10_recovery.dead_letter_archive:");
          parts.push(table(["id", "original_msg_id", "reason", "failed_at", "candidate", "archived_by"], archive.rows.map((r) => [r.id, r.original_msg_id, r.reason, r.dead_lettered_at, r.candidate_id, r.archived_by])));
        }
        return parts.join("\n");
      });
    });

  dlq
    .command("inspect")
    .description("everything about one dead letter: the stream entry, the archive row, its replay and its candidate")
    .argument("[id]", "stream id, archive id or original message id")
    .option(...ID_FLAG)
    .option(...STREAM_FLAG)
    .action(async (argument: string | undefined, options: SeedFlags) => {
      const id = dlqId(argument, options);
      const deps = await dlqDeps(context(), options);
      const found = await inspectDeadLetter(deps, id);
      if (!found) throw new CommandError(`no dead letter ${id} in ${deps.keys.deadLetter} or dead_letter_archive`);
      const { entry, archive, replay, candidate } = found;
      const data = { id, stream_entry: entry, archive, replay, candidate };
      output().result(data, () =>
        [
          entry ? `stream entry ${entry.id}:\n${keyValues(entry.fields)}` : "stream entry: (not in the stream)",
          archive
            ? `archive row ${archive.id}:\n${keyValues({ dl_msg_id: archive.dl_msg_id, original_msg_id: archive.original_msg_id, reason: archive.reason, candidate_id: archive.candidate_id, reclaim_count: archive.reclaim_count, dead_lettered_at: archive.dead_lettered_at, archived_at: archive.archived_at, archived_by: archive.archived_by })}\npayload: ${JSON.stringify(archive.payload)}`
            : "archive row: (not archived)",
          replay ? `replay: ${replay.status} at ${replay.replayed_at.toISOString()} by ${replay.replayed_by ?? "?"}${replay.new_msg_id ? ` -> ${replay.new_msg_id}` : ""}` : "replay: never replayed",
          candidate ? `candidate: ${JSON.stringify(candidate)}` : "candidate: -",
        ].join("\n"),
      );
    });

  dlq
    .command("replay")
    .alias("reprocess")
    .description("put dead letters back on the evaluation stream (or re-publish an outbox event), once each")
    .argument("[id]", "stream id, archive id or original message id")
    .option("--all", "every entry of the dead-letter stream (under the dl_reconcile lock)", false)
    .option("--dry-run", "report what would be replayed; change nothing", false)
    .option(...ID_FLAG)
    .option(...STREAM_FLAG)
    .addHelpText(
      "after",
      `
A replay is recorded with m10_recovery.record_replay before the new stream entry is written: a second
replay of the same message, from any process, reports already_replayed and writes nothing. A candidate
that is already evaluated (or gone) is refused. Exit code 1 when a single replay is refused or the id
is unknown; --all exits 1 when any entry failed with an error.`,
    )
    .action(async (argument: string | undefined, options: SeedFlags & { all: boolean; dryRun: boolean }) => {
      const ctx = context();
      const id = options.all && argument === undefined && options.id === undefined ? undefined : dlqId(argument, options);
      if (options.all === (id !== undefined)) throw new CommandError("give either a dead-letter id or --all", EXIT_USAGE);
      const deps = await dlqDeps(ctx, options);
      if (id !== undefined) {
        const result = await replayOneDeadLetter(deps, id, options.dryRun);
        output().result({ dry_run: options.dryRun, ...result }, () => replayLine(result), DEAD_LETTER_HANDLED_STATUSES.includes(result.status) ? 0 : EXIT_FAILED);
        return;
      }
      const out = output();
      const progress = createProgress(out.json);
      const total = await deadLetterLength(await ctx.redis(), deps.keys);
      let result;
      try {
        result = await runLockedTask(ctx, "dl_reconcile", { dryRun: options.dryRun }, async (signal) => {
          const report = await replayAllDeadLetters(deps, { dryRun: options.dryRun, signal, onProgress: (done) => progress.update(done, total, "replaying") });
          if (report.errors.length > 0) throw new MaintenanceTaskError(`${report.errors.length} replay(s) failed, first: ${report.errors[0]}`, report);
          return report;
        });
      } finally {
        progress.stop();
      }
      out.result(
        result,
        () =>
          [
            taskHeadline(result),
            keyValues(result.details.by_status as Record<string, number>),
            ...((result.details.results as DeadLetterReplayOutcome[] | undefined) ?? []).map(replayLine),
          ].join("\n"),
        taskExitCode(result),
      );
    });

  dlq
    .command("resolve")
    .description("mark a dead letter handled without replaying it (archived, logged in replay_log as resolved, removed from the stream)")
    .argument("[id]", "stream id, archive id or original message id")
    .option("--note <text>", "why (stored in replay_log.error_message)", "resolved by operator")
    .option(...ID_FLAG)
    .option(...STREAM_FLAG)
    .action(async (argument: string | undefined, options: SeedFlags & { note: string }) => {
      const id = dlqId(argument, options);
      const result = await resolveDeadLetter(await dlqDeps(context(), options), id, options.note);
      if (result.status === "not_found") throw new CommandError(`no dead letter ${id} in the dead-letter stream or dead_letter_archive`);
      output().result(result, () => `${id}: ${result.status} (archive row ${result.archive_id}, replay_log ${result.replay_id}${result.removed_from_stream ? ", removed from the stream" : ""})`);
    });

  dlq
    .command("report")
    .description("dead letters of the last N hours grouped by failure reason (archive and stream), and replays by status")
    .option("--hours <n>", "window", positiveInt, 24)
    .option(...STREAM_FLAG)
    .action(async (options: SeedFlags & { hours: number }) => {
      const data = await deadLetterReport(await dlqDeps(context(), options), options.hours);
      const { archive, stream, replays } = data;
      output().result(
        data,
        () =>
          [
            `dead letters since ${data.since} (${options.hours} h)`,
            `archive (${archive.total}):`,
            table(["reason", "count", "oldest", "newest"], archive.by_reason.map((r) => [r.reason, r.count, r.oldest, r.newest])),
            `stream ${stream.key} (${stream.total})${stream.error ? `: error ${stream.error}` : ""}:`,
            table(["reason", "count", "oldest", "newest"], stream.by_reason.map((r) => [r.reason, r.count, r.oldest, r.newest])),
            "replays:",
            table(["status", "count"], replays.by_status.map((r) => [r.status, r.count])),
          ].join("\n"),
        stream.error ? EXIT_FAILED : 0,
      );
    });
}
