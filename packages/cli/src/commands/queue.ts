import {
  type ConsumerInfo,
  countUnevaluatedCandidates,
  listConsumers,
  pendingEntries,
  positiveInt,
  streamStatus,
  type StreamStatus,
  workQueueDepth,
} from "@m10/shared";
import { reclaimGarbage } from "@m10/maintenance";
import type { Command } from "commander";
import { context, type Context } from "../context.js";
import { runLockedTask, taskExitCode, taskHeadline } from "../locked-task.js";
import { EXIT_FAILED, type Output } from "../output.js";
import { keyValues, table } from "../table.js";

/** Pending entries inspected at most for the stalled count. */
const STALLED_SCAN_LIMIT = 10_000;

interface StreamReport extends Partial<StreamStatus> {
  key: string;
  group: string;
  /** Pending entries idle longer than M10_CLAIM_IDLE_MS (a live worker XCLAIMs them). */
  stalled?: number;
  consumer_list?: ConsumerInfo[];
  error?: string;
}

async function streamReport(ctx: Context): Promise<StreamReport> {
  const report: StreamReport = { key: ctx.keys.stream, group: ctx.keys.group };
  try {
    const redis = await ctx.redis();
    Object.assign(report, await streamStatus(redis, ctx.keys));
    if (report.groupExists) {
      report.stalled = (await pendingEntries(redis, ctx.keys, { count: STALLED_SCAN_LIMIT, minIdleMs: ctx.config.M10_CLAIM_IDLE_MS })).length;
      report.consumer_list = await listConsumers(redis, ctx.keys);
    }
  } catch (error) {
    report.error = error instanceof Error ? error.message : String(error);
  }
  return report;
}

export function registerQueue(program: Command, output: () => Output): void {
  const queue = program
    .command("queue")
    .description("the evaluation queue: Redis stream m10:evaluate:stream and the DB fallback queue work_queue")
    .addHelpText(
      "after",
      `
Examples:
  m10ctl queue status                   # XLEN, XPENDING, XINFO GROUPS / CONSUMERS, work_queue depth and stalled
  m10ctl queue claim-stalled            # SELECT m10_recovery.release_stalled_work(300) and expired leases/locks
  m10ctl queue claim-stalled --dry-run --json`,
    );

  queue
    .command("status")
    .description("stream length, pending, consumers, stalled entries; DB queue depth and stalled; candidates awaiting evaluation")
    .action(async () => {
      const ctx = context();
      const stream = await streamReport(ctx);
      const db = ctx.db();
      const dbQueue = await workQueueDepth(db, ctx.config.M10_WORK_STALLED_SECONDS);
      const awaiting = await countUnevaluatedCandidates(db);
      const data = {
        stream,
        db_queue: { ...dbQueue, stalled_seconds: ctx.config.M10_WORK_STALLED_SECONDS },
        candidates_awaiting_evaluation: awaiting,
      };
      output().result(
        data,
        () =>
          [
            `stream ${stream.key} (group ${stream.group})`,
            stream.error
              ? `  error: ${stream.error}`
              : keyValues({
                  length: stream.length,
                  pending: stream.pending,
                  consumers: stream.consumers,
                  lag: stream.lag,
                  [`stalled (idle > ${ctx.config.M10_CLAIM_IDLE_MS} ms)`]: stream.stalled,
                  dead_letter_length: stream.deadLetterLength,
                }),
            stream.consumer_list?.length ? table(["consumer", "pending", "idle_ms"], stream.consumer_list.map((c) => [c.name, c.pending, c.idleMs])) : "",
            "db fallback queue m10_recovery.work_queue",
            keyValues({ depth: dbQueue.depth, claimed: dbQueue.claimed, [`stalled (> ${ctx.config.M10_WORK_STALLED_SECONDS} s)`]: dbQueue.stalled }),
            `candidates awaiting evaluation: ${awaiting}`,
          ]
            .filter(Boolean)
            .join("\n"),
        stream.error ? EXIT_FAILED : 0,
      );
    });

  queue
    .command("claim-stalled")
    .description("release work_queue claims stalled longer than --stalled-seconds, expired evaluation leases and expired locks (the reclaim_gc task)")
    .option("--stalled-seconds <n>", "release claims older than this (default M10_WORK_STALLED_SECONDS)", positiveInt)
    .option("--dry-run", "count what would be released; change nothing", false)
    .addHelpText(
      "after",
      `
Runs under the reclaim_gc task's lock (m10:reclaim_gc). Stalled stream entries (pending and idle longer
than M10_CLAIM_IDLE_MS) are counted: a live claim worker XCLAIMs them by itself, and dead-letters those
delivered M10_MAX_RECLAIM_ATTEMPTS times; with no consumer running, start one.`,
    )
    .action(async (options: { stalledSeconds?: number; dryRun: boolean }) => {
      const ctx = context();
      const result = await runLockedTask(ctx, "reclaim_gc", { dryRun: options.dryRun }, (signal) =>
        reclaimGarbage(
          { db: ctx.db(), logger: ctx.logger, settings: ctx.config },
          { dryRun: options.dryRun, signal, stalledSeconds: options.stalledSeconds },
        ),
      );
      const stream = await streamReport(ctx);
      const data = { ...result, stream: { stalled: stream.stalled ?? null, consumers: stream.consumers ?? null, error: stream.error ?? null } };
      output().result(
        data,
        () =>
          [
            taskHeadline(result),
            keyValues({
              [options.dryRun ? "stalled work to release" : "stalled work released"]: result.details.stalled_work as number,
              [options.dryRun ? "expired evaluation leases to clear" : "expired evaluation leases cleared"]: result.details.expired_evaluation_leases as number,
              [options.dryRun ? "expired locks to remove" : "expired locks removed"]: result.details.expired_locks as number,
              "stalled stream entries": stream.stalled ?? stream.error ?? null,
              "stream consumers": stream.consumers ?? null,
            }),
          ].join("\n"),
        taskExitCode(result),
      );
    });
}
