// What happens to a batch of queue entries after evaluation: stream entries of done candidates
// are acknowledged (XACK + XDEL, only after the commit), work_queue rows of failed candidates are
// retried or dead-lettered, busy ones are given back, and the metrics are written.
import { performance } from "node:perf_hooks";
import {
  acknowledge,
  archiveDeadLetter,
  completeWork,
  completeWorkMany,
  countPublishedOutboxEvents,
  DEAD_LETTER_REASONS,
  type Logger,
  markWorkDeadLettered,
  type Pool,
  type RedisClient,
  releaseWorkClaims,
  type ServiceMetrics,
  type StreamKeys,
  truncateCodePoints,
  withTransaction,
} from "@m10/shared";
import type { CandidateOutcome, Evaluator } from "./evaluation/evaluate-entries.js";
import type { QueueEntry, QueueSource } from "./queue-entry.js";

export const WORK_QUEUE_NAME = "m10_recovery.work_queue";

/** One finished batch, for logs, /health/detailed and benchmarks. */
export interface EvaluationBatchReport {
  source: QueueSource;
  entries: number;
  candidates: number;
  evaluated: number;
  skipped: number;
  busy: number;
  failed: number;
  /** Claim of the entries to the end of acknowledgement, ms. */
  durationMs: number;
  outboxEvents: number;
  /** The batch's last entry evaluated or skipped (the seed's last_processed_event_id); null when none was. */
  lastProcessed: ProcessedEntry | null;
}

/** An entry finished for good: its stream entry id (or `work_queue:<id>`) and candidate. */
export interface ProcessedEntry {
  eventId: string;
  candidateId: number;
}

function processedEntry(entry: QueueEntry): ProcessedEntry {
  return { eventId: entry.messageId ?? `work_queue:${entry.work?.workId ?? ""}`, candidateId: entry.candidateId };
}

export interface BatchProcessorDeps {
  pool: Pool;
  redis: RedisClient | undefined;
  keys: StreamKeys;
  consumer: string;
  evaluator: Evaluator;
  metrics: ServiceMetrics<"claim-worker">;
  logger: Logger;
  /** M10_MAX_RECLAIM_ATTEMPTS, also the attempts a work_queue row gets before it is dead-lettered. */
  maxAttempts: number;
  onBatch?: (report: EvaluationBatchReport) => void;
}

export interface BatchProcessor {
  /** Never throws. `claimedAt` = performance.now() when the entries were claimed. */
  process(source: QueueSource, entries: readonly QueueEntry[], claimedAt: number, signal: AbortSignal): Promise<EvaluationBatchReport>;
}

const PROCESSED_STATUS = { evaluated: "success", skipped: "skipped", failed: "failed" } as const;

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

export function createBatchProcessor(deps: BatchProcessorDeps): BatchProcessor {
  const { metrics, logger } = deps;

  async function acknowledgeDone(entries: readonly QueueEntry[]): Promise<void> {
    const ids = entries.map((entry) => entry.messageId as string);
    if (ids.length === 0 || !deps.redis) return;
    try {
      await acknowledge(deps.redis, deps.keys, ids);
    } catch (error) {
      // The effect is committed; the entries will be delivered again and skipped as evaluated.
      logger.warn({ err: error, count: ids.length }, "stream.ack_failed");
    }
  }

  /**
   * A work_queue row whose candidate keeps failing: taken out of the queue and archived as a dead
   * letter, only while this worker still holds its claim.
   */
  async function deadLetterWork(entry: QueueEntry, error: unknown): Promise<void> {
    const work = entry.work as NonNullable<QueueEntry["work"]>;
    const archived = await withTransaction(deps.pool, async (client) => {
      const reason = `dead-lettered after ${work.retryCount + 1} attempts: ${errorText(error)}`;
      if (!(await markWorkDeadLettered(client, deps.consumer, work.workId, reason))) return false;
      await archiveDeadLetter(client, {
        dlMsgId: `work_queue:${work.workId}`,
        originalMsgId: `work_queue:${work.workId}`,
        candidateId: work.candidateId,
        failureMatchId: null,
        payload: {
          queue: WORK_QUEUE_NAME,
          work_id: work.workId,
          candidate_id: work.candidateId,
          idempotency_key: work.idempotencyKey,
          priority: work.priority,
          attempts: work.retryCount + 1,
          error: errorText(error),
          consumer: deps.consumer,
        },
        reason: DEAD_LETTER_REASONS.maxWorkAttempts,
        reclaimCount: work.retryCount + 1,
        deadLetteredAt: new Date(),
        archivedBy: deps.consumer,
        streamName: WORK_QUEUE_NAME,
        streamMsgId: String(work.workId),
      });
      return true;
    });
    if (!archived) return;
    metrics.m10ArchiveTotal.inc({ source: "dead_letter" });
    logger.error({ workId: work.workId, candidateId: work.candidateId, attempts: work.retryCount + 1 }, "work_queue.dead_lettered");
  }

  async function settleWork(entries: readonly QueueEntry[], outcomes: Map<number, CandidateOutcome>, completed: ReadonlySet<number>): Promise<void> {
    const status = (entry: QueueEntry) => outcomes.get(entry.candidateId)?.status;
    const workId = (entry: QueueEntry) => (entry.work as { workId: number }).workId;
    const busy = entries.filter((entry) => status(entry) === "busy");
    const failed = entries.filter((entry) => status(entry) === "failed");
    // Done, but not completed inside the evaluation transaction (evaluated elsewhere meanwhile).
    const doneLate = entries.filter((entry) => (status(entry) === "evaluated" || status(entry) === "skipped") && !completed.has(workId(entry)));
    try {
      if (doneLate.length > 0) await completeWorkMany(deps.pool, deps.consumer, doneLate.map(workId));
      if (busy.length > 0) await releaseWorkClaims(deps.pool, deps.consumer, busy.map(workId));
      for (const entry of failed) {
        const work = entry.work as NonNullable<QueueEntry["work"]>;
        const outcome = outcomes.get(entry.candidateId) as Extract<CandidateOutcome, { status: "failed" }>;
        if (work.retryCount + 1 >= deps.maxAttempts) await deadLetterWork(entry, outcome.error);
        else await completeWork(deps.pool, deps.consumer, work.workId, false, truncateCodePoints(errorText(outcome.error), 1_000));
      }
    } catch (error) {
      // Claims that could not be settled come back through release_stalled_work.
      logger.warn({ err: error, busy: busy.length, failed: failed.length, done: doneLate.length }, "work_queue.settle_failed");
    }
  }

  return {
    async process(source, entries, claimedAt, signal) {
      const evaluation = await deps.evaluator.evaluateEntries(entries, signal);
      const { outcomes } = evaluation;
      const finished = (entry: QueueEntry) => {
        const status = outcomes.get(entry.candidateId)?.status;
        return status === "evaluated" || status === "skipped";
      };
      const done = entries.filter(finished);
      if (source === "redis_stream") await acknowledgeDone(done);
      else await settleWork(entries, outcomes, evaluation.completedWorkIds);

      const seconds = (performance.now() - claimedAt) / 1000;
      const counts = { evaluated: 0, skipped: 0, busy: 0, failed: 0 };
      for (const outcome of outcomes.values()) counts[outcome.status] += 1;
      for (const entry of entries) {
        const status = outcomes.get(entry.candidateId)?.status ?? "failed";
        if (status === "busy") continue;
        metrics.recoveryWorkerProcessedTotal.inc({ status: PROCESSED_STATUS[status], source });
        metrics.recoveryWorkerProcessingSeconds.observe(seconds);
      }
      for (const outcome of outcomes.values()) {
        if (outcome.status !== "evaluated") continue;
        metrics.recoverySuggestionsTotal.inc({ source: outcome.plan.candidateSource, decision: outcome.plan.autoExecute ? "action_requested" : "pending" });
        metrics.recoverySuggestionsLatencySeconds.observe(evaluation.computeSecondsPerCandidate);
      }
      countPublishedOutboxEvents(metrics, evaluation.events);
      for (const [candidateId, outcome] of outcomes) {
        if (outcome.status === "failed") logger.warn({ err: outcome.error, candidateId, source }, "evaluation.failed");
      }

      const report: EvaluationBatchReport = {
        source,
        entries: entries.length,
        candidates: outcomes.size,
        ...counts,
        durationMs: seconds * 1000,
        outboxEvents: evaluation.events.length,
        lastProcessed: done.length > 0 ? processedEntry(done[done.length - 1] as QueueEntry) : null,
      };
      logger.debug(report, "batch.done");
      deps.onBatch?.(report);
      return report;
    },
  };
}
