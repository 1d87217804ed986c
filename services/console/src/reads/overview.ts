// The overview's numbers, from the same library reads as the metrics collector and m10ctl: the
// PostgreSQL backlog counts and rates always, the Redis stream numbers when Redis answers.
import { errorMessage, readBacklogGauges, readPipelineRates, streamStatus } from "@m10/shared";
import { type ConsoleContext, readyRedis } from "../context.js";

export interface Overview {
  ingested_per_second: number;
  evaluated_per_second: number;
  stream_length: number | null;
  stream_pending: number | null;
  stream_lag: number | null;
  stream_consumers: number | null;
  dead_letter_stream: number | null;
  dead_letter_archive: number;
  db_queue_depth: number;
  db_queue_stalled: number;
  outbox_pending: number;
  outbox_lag_seconds: number;
  candidates_pending: number;
  candidates_unevaluated: number;
  redis_error: string | null;
  checked_at: string;
}

const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

export async function readOverview(ctx: ConsoleContext): Promise<Overview> {
  const [backlog, rates, stream] = await Promise.all([
    readBacklogGauges(ctx.pool),
    readPipelineRates(ctx.pool),
    readyRedis(ctx)
      .then((redis) => streamStatus(redis, ctx.keys))
      .catch((error: unknown) => errorMessage(error)),
  ]);
  const redis = typeof stream === "string" ? null : stream;
  return {
    ingested_per_second: round(rates.ingestedPerSecond),
    evaluated_per_second: round(rates.evaluatedPerSecond),
    stream_length: redis?.length ?? null,
    stream_pending: redis?.pending ?? null,
    stream_lag: redis?.lag ?? null,
    stream_consumers: redis?.consumers ?? null,
    dead_letter_stream: redis?.deadLetterLength ?? null,
    dead_letter_archive: backlog.deadLetterArchiveRows,
    db_queue_depth: backlog.dbQueueDepth,
    db_queue_stalled: backlog.dbQueueStalled,
    outbox_pending: backlog.outboxPending,
    outbox_lag_seconds: round(backlog.outboxLagSeconds, 1),
    candidates_pending: backlog.candidatesPending,
    candidates_unevaluated: backlog.candidatesUnevaluated,
    redis_error: typeof stream === "string" ? stream : null,
    checked_at: new Date().toISOString(),
  };
}
