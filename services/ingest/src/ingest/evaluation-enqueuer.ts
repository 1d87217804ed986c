// After the commit: queue new candidates for evaluation on the Redis stream, or in work_queue when
// Redis fails (enqueueEvaluations from @m10/shared). If both fail the candidate is still committed
// and unevaluated, and the orchestrator's pending_sweep re-enqueues it; the ingest answer stays 2xx.
import { enqueueEvaluations, type EnqueueDeps, type EvaluationRequest, type ServiceMetrics } from "@m10/shared";

export interface EnqueueSummary {
  stream: number;
  dbFallback: number;
  failed: number;
}

export class EvaluationEnqueuer {
  /** Enqueues that went to work_queue since start (for /health/detailed). */
  dbFallbackTotal = 0;
  lastFallbackAt: Date | null = null;
  lastFallbackReason: string | null = null;

  constructor(
    private readonly deps: EnqueueDeps,
    private readonly metrics: Pick<ServiceMetrics<"ingest">, "recoveryIngestEnqueueTotal">,
  ) {}

  skipped(count: number): void {
    if (count > 0) this.metrics.recoveryIngestEnqueueTotal.inc({ status: "skipped" }, count);
  }

  async enqueue(requests: EvaluationRequest[]): Promise<EnqueueSummary> {
    const summary: EnqueueSummary = { stream: 0, dbFallback: 0, failed: 0 };
    if (requests.length === 0) return summary;
    try {
      const results = await enqueueEvaluations(this.deps, requests);
      for (const result of results) {
        if (result.method === "redis_stream") summary.stream++;
        else {
          summary.dbFallback++;
          this.lastFallbackReason = result.reason;
        }
      }
    } catch (error) {
      summary.failed = requests.length;
      this.deps.logger.error(
        { err: error, candidate_ids: requests.slice(0, 20).map((r) => r.candidateId), count: requests.length },
        "ingest.enqueue_failed",
      );
    }
    if (summary.dbFallback > 0) {
      this.dbFallbackTotal += summary.dbFallback;
      this.lastFallbackAt = new Date();
    }
    if (summary.stream > 0) this.metrics.recoveryIngestEnqueueTotal.inc({ status: "success" }, summary.stream);
    if (summary.dbFallback > 0) this.metrics.recoveryIngestEnqueueTotal.inc({ status: "db_fallback" }, summary.dbFallback);
    if (summary.failed > 0) this.metrics.recoveryIngestEnqueueTotal.inc({ status: "failed" }, summary.failed);
    return summary;
  }
}
