import {
  DEAD_LETTER_PROCESSOR,
  outboxEventState,
  outboxHealthCounts,
  outboxLagSeconds,
  outboxStatusOverview,
  outboxTotals,
  positiveInt,
  recentOutboxFailures,
  resetStuckOutboxEvents,
  retryOutboxEvent,
  truncateCodePoints,
} from "@m10/shared";
import type { Command } from "commander";
import { context } from "../context.js";
import { CommandError, type Output } from "../output.js";
import { keyValues, table } from "../table.js";

export function registerOutbox(program: Command, output: () => Output): void {
  const outbox = program
    .command("outbox")
    .description("the transactional outbox m10_recovery.outbox (Recovery Operations Runbook, Outbox Processor Operations)")
    .addHelpText(
      "after",
      `
Examples:
  m10ctl outbox status                  # total / pending / processed, processed-retrying-pending, oldest pending lag
  m10ctl outbox failures --limit 20     # recent failures (last_error)
  m10ctl outbox retry 42                # make event 42 due now with retry_count 0
  m10ctl outbox retry --stuck           # the runbook's reset of events with retry_count >= OUTBOX_MAX_RETRIES
Dead-lettered events (processed_by 'dead-letter') are re-published with: m10ctl dlq replay outbox:<id>`,
    );

  outbox
    .command("status")
    .description("the handbook's and runbook's outbox status queries in one report")
    .action(async () => {
      const ctx = context();
      const db = ctx.db();
      const [totals, overview, lag, counts] = await Promise.all([
        outboxTotals(db),
        outboxStatusOverview(db),
        outboxLagSeconds(db),
        outboxHealthCounts(db, ctx.config.OUTBOX_MAX_RETRIES),
      ]);
      const data = { ...totals, by_status: overview, oldest_pending_lag_seconds: lag, ...counts, stuck_min_retries: ctx.config.OUTBOX_MAX_RETRIES };
      output().result(data, () =>
        [
          keyValues({ total: totals.total, pending: totals.pending, processed: totals.processed, "oldest pending lag (s)": lag === null ? null : Math.round(lag) }),
          table(["status", "count", "avg_retries"], overview.map((row) => [row.status, row.count, row.avg_retries === null ? null : Number(row.avg_retries.toFixed(2))])),
          keyValues({ [`stuck (retry_count >= ${ctx.config.OUTBOX_MAX_RETRIES})`]: counts.stuck, "dead-lettered": counts.dead_lettered, "leased now": counts.leased }),
        ].join("\n"),
      );
    });

  outbox
    .command("failures")
    .description("recent failures: events with a last_error, newest first")
    .option("--limit <n>", "rows", positiveInt, 10)
    .action(async (options: { limit: number }) => {
      const rows = await recentOutboxFailures(context().db(), options.limit);
      output().result({ failures: rows }, () =>
        table(["id", "event_type", "retry_count", "last_error", "updated_at"], rows.map((r) => [r.id, r.event_type, r.retry_count, truncateCodePoints(r.last_error, 80), r.updated_at])),
      );
    });

  outbox
    .command("retry")
    .description("make an event due now with retry_count 0 and no last_error (or every stuck event with --stuck)")
    .argument("[id]", "outbox event id")
    .option("--stuck", "every unprocessed event with retry_count >= --min-retries", false)
    .option("--min-retries <n>", "threshold of --stuck (default OUTBOX_MAX_RETRIES)", positiveInt)
    .action(async (id: string | undefined, options: { stuck: boolean; minRetries?: number }) => {
      const ctx = context();
      const db = ctx.db();
      if (options.stuck === (id !== undefined)) throw new CommandError("give either an event id or --stuck", 2);
      if (options.stuck) {
        const minRetries = options.minRetries ?? ctx.config.OUTBOX_MAX_RETRIES;
        const reset = await resetStuckOutboxEvents(db, minRetries);
        output().result({ reset, min_retries: minRetries }, () => `reset ${reset} stuck event(s) (retry_count >= ${minRetries}): due now`);
        return;
      }
      const eventId = Number(id);
      if (!Number.isInteger(eventId) || eventId < 1) throw new CommandError(`not an outbox event id: ${id}`, 2);
      const reset = await retryOutboxEvent(db, eventId);
      if (!reset) {
        const state = await outboxEventState(db, eventId);
        if (!state) throw new CommandError(`no outbox event ${eventId}`);
        if (state.processed_by === DEAD_LETTER_PROCESSOR) throw new CommandError(`outbox event ${eventId} was dead-lettered: re-publish it with m10ctl dlq replay outbox:${eventId}`);
        throw new CommandError(`outbox event ${eventId} was already delivered (processed ${state.processed_at?.toISOString() ?? ""} by ${state.processed_by ?? "?"})`);
      }
      output().result({ reset: 1, event: reset }, () => `outbox event ${eventId} (${reset.event_type}) is due now${reset.claimed_by ? ` (a delivery by ${reset.claimed_by} is in flight)` : ""}`);
    });
}
