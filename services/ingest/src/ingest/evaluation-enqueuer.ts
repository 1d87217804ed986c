// After the commit: queue new candidates for evaluation on the Redis stream, or in work_queue when
// Redis fails (enqueueEvaluations from @m10/shared). If both fail the candidate is still committed
// and unevaluated, and the orchestrator's pending_sweep re-enqueues it; the ingest answer stays 2xx.
//
// Concurrent requests share one enqueue: calls made while the event loop handles one round of I/O
// (many single ingests whose upserts completed together) are flushed together on the next
// setImmediate as one XADD pipeline, i.e. one write to Redis (or one enqueue_work statement on
// fallback). Each caller's promise settles only after that enqueue attempt completed, so a 202 is
// never sent before its candidate reached the stream or work_queue (or both failed and were logged).
import { type EnqueueDeps, enqueueEvaluations, type EvaluationRequest, type ServiceMetrics } from "@m10/shared";

export interface EnqueueSummary {
  stream: number;
  dbFallback: number;
  failed: number;
}

interface Waiter {
  requests: EvaluationRequest[];
  resolve: (summary: EnqueueSummary) => void;
}

export class EvaluationEnqueuer {
  /** Enqueues that went to work_queue since start (for /health/detailed). */
  dbFallbackTotal = 0;
  lastFallbackAt: Date | null = null;
  lastFallbackReason: string | null = null;

  private waiting: Waiter[] = [];
  private flushScheduled = false;

  constructor(
    private readonly deps: EnqueueDeps,
    private readonly metrics: Pick<ServiceMetrics<"ingest">, "recoveryIngestEnqueueTotal">,
  ) {}

  skipped(count: number): void {
    if (count > 0) this.metrics.recoveryIngestEnqueueTotal.inc({ status: "skipped" }, count);
  }

  /** Resolves (never rejects) once these requests were written to the stream or work_queue, or both failed. */
  enqueue(requests: EvaluationRequest[]): Promise<EnqueueSummary> {
    if (requests.length === 0) return Promise.resolve({ stream: 0, dbFallback: 0, failed: 0 });
    return new Promise((resolve) => {
      this.waiting.push({ requests, resolve });
      if (this.flushScheduled) return;
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        const waiters = this.waiting;
        this.waiting = [];
        this.flush(waiters).then(
          () => undefined,
          // flush() handles its own errors; this only keeps an unexpected one from leaving callers waiting.
          (error: unknown) => {
            this.deps.logger.error({ err: error }, "ingest.enqueue_flush_failed");
            for (const waiter of waiters) waiter.resolve({ stream: 0, dbFallback: 0, failed: waiter.requests.length });
          },
        );
      });
    });
  }

  private async flush(waiters: Waiter[]): Promise<void> {
    const requests = waiters.length === 1 ? (waiters[0] as Waiter).requests : waiters.flatMap((waiter) => waiter.requests);
    const total: EnqueueSummary = { stream: 0, dbFallback: 0, failed: 0 };
    try {
      const results = await enqueueEvaluations(this.deps, requests);
      let offset = 0;
      for (const waiter of waiters) {
        const summary: EnqueueSummary = { stream: 0, dbFallback: 0, failed: 0 };
        for (let i = offset; i < offset + waiter.requests.length; i++) {
          const result = results[i];
          if (result?.method === "redis_stream") summary.stream++;
          else if (result) {
            summary.dbFallback++;
            this.lastFallbackReason = result.reason;
          } else summary.failed++;
        }
        offset += waiter.requests.length;
        total.stream += summary.stream;
        total.dbFallback += summary.dbFallback;
        total.failed += summary.failed;
        waiter.resolve(summary);
      }
    } catch (error) {
      total.failed = requests.length;
      this.deps.logger.error(
        { err: error, candidate_ids: requests.slice(0, 20).map((r) => r.candidateId), count: requests.length },
        "ingest.enqueue_failed",
      );
      for (const waiter of waiters) waiter.resolve({ stream: 0, dbFallback: 0, failed: waiter.requests.length });
    }
    if (total.dbFallback > 0) {
      this.dbFallbackTotal += total.dbFallback;
      this.lastFallbackAt = new Date();
    }
    if (total.stream > 0) this.metrics.recoveryIngestEnqueueTotal.inc({ status: "success" }, total.stream);
    if (total.dbFallback > 0) this.metrics.recoveryIngestEnqueueTotal.inc({ status: "db_fallback" }, total.dbFallback);
    if (total.failed > 0) this.metrics.recoveryIngestEnqueueTotal.inc({ status: "failed" }, total.failed);
  }
}
