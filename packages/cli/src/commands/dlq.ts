import { listArchivedDeadLetters, findReplay, parseDeadLetterEntry, readDeadLetter } from "@m10/shared";
import { MaintenanceTaskError } from "@m10/maintenance";
import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import { context } from "../context.js";
import {
  archiveReport,
  archivedDeadLetter,
  REPLAY_OK,
  replayOne,
  replayReport,
  resolveOne,
  STREAM_ID,
  streamEntries,
  type ReasonCount,
  type ReplayOutcome,
} from "../dead-letters.js";
import { runLockedTask, taskExitCode, taskHeadline } from "../locked-task.js";
import { CommandError, EXIT_FAILED, EXIT_USAGE, type Output } from "../output.js";
import { createProgress } from "../progress.js";
import { keyValues, table } from "../table.js";

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("must be a positive whole number");
  return n;
}

function source(value: string): "stream" | "archive" | "all" {
  if (value !== "stream" && value !== "archive" && value !== "all") throw new InvalidArgumentError("expected stream, archive or all");
  return value;
}

function replayLine(result: ReplayOutcome): string {
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
  m10ctl dlq report --hours 24          # counts by failure reason`,
    );

  dlq
    .command("list")
    .description("newest dead letters: stream entries and archive rows")
    .option("--limit <n>", "entries of each source", positiveInt, 20)
    .option("--source <source>", "stream, archive or all", source, "all")
    .option("--reason <reason>", "archive rows with this reason only")
    .action(async (options: { limit: number; source: "stream" | "archive" | "all"; reason?: string }) => {
      const ctx = context();
      const data: Record<string, unknown> = {};
      if (options.source !== "archive") {
        const redis = await ctx.redis();
        const entries = (await redis.xrevrange(ctx.keys.deadLetter, "+", "-", "COUNT", options.limit)).map(([id, flat]) => parseDeadLetterEntry(id, flat));
        data.stream = {
          key: ctx.keys.deadLetter,
          length: await redis.xlen(ctx.keys.deadLetter),
          entries: entries.map((e) => ({
            id: e.id,
            original_msg_id: e.originalMsgId,
            reason: e.reason,
            dead_lettered_at: e.deadLetteredAt,
            consumer: e.consumer,
            candidate_id: e.candidateId,
          })),
        };
      }
      if (options.source !== "stream") {
        const rows = await listArchivedDeadLetters(ctx.db(), { limit: options.limit, ...(options.reason ? { reason: options.reason } : {}) });
        data.archive = {
          rows: rows.map((r) => ({
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
        };
      }
      output().result(data, () => {
        const parts: string[] = [];
        const stream = data.stream as { key: string; length: number; entries: { id: string; original_msg_id: string | null; reason: string | null; dead_lettered_at: string | null; candidate_id: number | null }[] } | undefined;
        if (stream) {
          parts.push(`stream ${stream.key}: ${stream.length} entries`);
          parts.push(table(["id", "original_msg_id", "reason", "dead_lettered_at", "candidate"], stream.entries.map((e) => [e.id, e.original_msg_id, e.reason, e.dead_lettered_at, e.candidate_id])));
        }
        const archive = data.archive as { rows: { id: number; original_msg_id: string | null; reason: string | null; dead_lettered_at: Date | null; candidate_id: number | null; archived_by: string | null }[] } | undefined;
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
    .argument("<id>", "stream id, archive id or original message id")
    .action(async (id: string) => {
      const ctx = context();
      const entry = STREAM_ID.test(id) ? await readDeadLetter(await ctx.redis(), ctx.keys, id) : null;
      const archive = (await archivedDeadLetter(ctx, id)) ?? null;
      if (!entry && !archive) throw new CommandError(`no dead letter ${id} in ${ctx.keys.deadLetter} or dead_letter_archive`);
      const original = entry?.originalMsgId ?? archive?.original_msg_id ?? null;
      const replay = original ? ((await findReplay(ctx.db(), original)) ?? null) : null;
      const candidateId = entry?.candidateId ?? archive?.candidate_id ?? null;
      const candidate =
        candidateId !== null
          ? ((
              await ctx
                .db()
                .query(
                  "SELECT id, decision, evaluated_at, evaluation_claimed_by, error_code, suggestion, confidence FROM public.recovery_candidates WHERE id = $1",
                  [candidateId],
                )
            ).rows[0] ?? null)
          : null;
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
    .description("put dead letters back on the evaluation stream (or re-publish an outbox event), once each")
    .argument("[id]", "stream id, archive id or original message id")
    .option("--all", "every entry of the dead-letter stream (under the dl_reconcile lock)", false)
    .option("--dry-run", "report what would be replayed; change nothing", false)
    .addHelpText(
      "after",
      `
A replay is recorded with m10_recovery.record_replay before the new stream entry is written: a second
replay of the same message, from any process, reports already_replayed and writes nothing. A candidate
that is already evaluated (or gone) is refused. Exit code 1 when a single replay is refused or the id
is unknown; --all exits 1 when any entry failed with an error.`,
    )
    .action(async (id: string | undefined, options: { all: boolean; dryRun: boolean }) => {
      const ctx = context();
      if (options.all === (id !== undefined)) throw new CommandError("give either a dead-letter id or --all", EXIT_USAGE);
      if (id !== undefined) {
        const result = await replayOne(ctx, id, options.dryRun);
        output().result({ dry_run: options.dryRun, ...result }, () => replayLine(result), REPLAY_OK.includes(result.status) ? 0 : EXIT_FAILED);
        return;
      }
      const out = output();
      const progress = createProgress(out.json);
      const total = await (await ctx.redis()).xlen(ctx.keys.deadLetter);
      let result;
      try {
        result = await runLockedTask(ctx, "dl_reconcile", { dryRun: options.dryRun }, async (signal) => {
          const results: ReplayOutcome[] = [];
          const errors: string[] = [];
          for await (const entry of streamEntries(ctx)) {
            if (signal.aborted) break;
            try {
              results.push(await replayOne(ctx, entry.id, options.dryRun));
            } catch (error) {
              errors.push(`${entry.id}: ${error instanceof Error ? error.message : String(error)}`);
            }
            progress.update(results.length + errors.length, total, "replaying");
          }
          const byStatus: Record<string, number> = {};
          for (const r of results) byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
          const details = { dry_run: options.dryRun, total: results.length + errors.length, by_status: byStatus, errors, results };
          if (errors.length > 0) throw new MaintenanceTaskError(`${errors.length} replay(s) failed, first: ${errors[0]}`, details);
          return details;
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
            ...((result.details.results as ReplayOutcome[] | undefined) ?? []).map(replayLine),
          ].join("\n"),
        taskExitCode(result),
      );
    });

  dlq
    .command("resolve")
    .description("mark a dead letter handled without replaying it (archived, logged in replay_log as resolved, removed from the stream)")
    .argument("<id>", "stream id, archive id or original message id")
    .option("--note <text>", "why (stored in replay_log.error_message)", "resolved by operator")
    .action(async (id: string, options: { note: string }) => {
      const result = await resolveOne(context(), id, options.note);
      if (result.status === "not_found") throw new CommandError(`no dead letter ${id} in the dead-letter stream or dead_letter_archive`);
      output().result(result, () => `${id}: ${result.status} (archive row ${result.archive_id}, replay_log ${result.replay_id}${result.removed_from_stream ? ", removed from the stream" : ""})`);
    });

  dlq
    .command("report")
    .description("dead letters of the last N hours grouped by failure reason (archive and stream), and replays by status")
    .option("--hours <n>", "window", positiveInt, 24)
    .action(async (options: { hours: number }) => {
      const ctx = context();
      const db = ctx.db();
      const archive = await archiveReport(db, options.hours);
      const replays = await replayReport(db, options.hours);
      const since = new Date(Date.now() - options.hours * 3_600_000);
      const streamCounts = new Map<string, ReasonCount>();
      let scanned = 0;
      let streamError: string | null = null;
      try {
        for await (const entry of streamEntries(ctx)) {
          scanned += 1;
          const at = entry.deadLetteredAt ? new Date(entry.deadLetteredAt) : null;
          if (at && !Number.isNaN(at.getTime()) && at < since) continue;
          const reason = entry.reason ?? "(none)";
          const row = streamCounts.get(reason) ?? { reason, count: 0, oldest: entry.deadLetteredAt, newest: entry.deadLetteredAt };
          row.count += 1;
          row.newest = entry.deadLetteredAt ?? row.newest;
          streamCounts.set(reason, row);
        }
      } catch (error) {
        streamError = error instanceof Error ? error.message : String(error);
      }
      const stream = [...streamCounts.values()].sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
      const data = {
        hours: options.hours,
        since: since.toISOString(),
        archive: { total: archive.reduce((sum, r) => sum + r.count, 0), by_reason: archive },
        stream: { key: ctx.keys.deadLetter, scanned, total: stream.reduce((sum, r) => sum + r.count, 0), by_reason: stream, error: streamError },
        replays: { by_status: replays },
      };
      output().result(
        data,
        () =>
          [
            `dead letters since ${data.since} (${options.hours} h)`,
            `archive (${data.archive.total}):`,
            table(["reason", "count", "oldest", "newest"], archive.map((r) => [r.reason, r.count, r.oldest, r.newest])),
            `stream ${ctx.keys.deadLetter} (${data.stream.total})${streamError ? `: error ${streamError}` : ""}:`,
            table(["reason", "count", "oldest", "newest"], stream.map((r) => [r.reason, r.count, r.oldest, r.newest])),
            "replays:",
            table(["status", "count"], replays.map((r) => [r.status, r.count])),
          ].join("\n"),
        streamError ? EXIT_FAILED : 0,
      );
    });
}
