import {
  databaseAnswers,
  type M10Metrics,
  metricTotal,
  metricTotalsBy,
  outboxLagSeconds,
  outboxTotals,
  type Pool,
  type ReadyReport,
  redisAnswers,
  type RedisClient,
  successRate,
} from "@m10/shared";
import { type NatsConnection } from "@m10/delivery";
import type { Processor } from "./processor.js";

export interface ReadinessDeps {
  pool: Pool;
  redis: RedisClient;
  /** Whether the routing needs NATS at all. */
  usesNats: boolean;
  /** The NATS connection once established. */
  nats: () => NatsConnection | undefined;
  /** The processor once started. */
  processor: () => Processor | undefined;
  /** Whether the LISTEN connection of the outbox notifications is up (undefined: not listening, --once). */
  listening: () => boolean | undefined;
}

/** A readiness probe answers within this, whatever its dependencies do. */
const CHECK_TIMEOUT_MS = 2_000;

/**
 * PostgreSQL down = not ready; Redis down = degraded (per-process throttles); NATS not connected =
 * degraded (NATS deliveries retry with backoff).
 */
export function readiness(deps: ReadinessDeps): { ready: () => Promise<ReadyReport>; detailed: () => Promise<Record<string, unknown>> } {
  const ready = async (): Promise<ReadyReport> => {
    const postgres = await databaseAnswers(deps.pool, CHECK_TIMEOUT_MS);
    const redis = await redisAnswers(deps.redis, CHECK_TIMEOUT_MS);
    const nc = deps.nats();
    const nats = deps.usesNats ? nc !== undefined && !nc.isClosed() && nc.info !== undefined : undefined;
    const status = !postgres ? "down" : !redis || nats === false ? "degraded" : "ok";
    return { status, checks: { postgres, redis, ...(nats === undefined ? {} : { nats }) } };
  };
  const detailed = async (): Promise<Record<string, unknown>> => {
    const [totals, lag] = await Promise.all([outboxTotals(deps.pool).catch(() => undefined), outboxLagSeconds(deps.pool).catch(() => undefined)]);
    const processor = deps.processor();
    return {
      processor_id: processor?.processorId ?? null,
      listening: deps.listening() ?? null,
      // The Phase 7 runbook's relay backlog: events not yet processed (retries included); null when PostgreSQL cannot be read.
      outbox_backlog: totals?.pending ?? null,
      outbox: totals ?? null,
      outbox_lag_seconds: lag ?? null,
      last_batch: processor?.lastReport() ?? null,
      // Per target; a target appears once this process has tried it.
      circuit_breakers: processor?.circuitBreakers() ?? {},
    };
  };
  return { ready, detailed };
}

/**
 * The Phase 7 runbook's relay metrics as JSON (GET /monitoring/metrics): this process's deliveries
 * and dead letters by event type (the seed's topic), attempts that succeeded and failed, the
 * outbox backlog and the last event delivered.
 */
export function monitoringView(deps: Pick<ReadinessDeps, "pool" | "processor">, registry: M10Metrics<"outbox-processor">["registry"]): () => Promise<Record<string, unknown>> {
  return async () => {
    const [published, deadLettered, success, failure, totals] = await Promise.all([
      metricTotalsBy(registry, "m10_outbox_processed_total", "event_type"),
      metricTotalsBy(registry, "m10_outbox_dead_lettered_total", "event_type"),
      metricTotal(registry, "m10_outbox_processed_total"),
      metricTotal(registry, "m10_outbox_failed_total"),
      outboxTotals(deps.pool).catch(() => undefined),
    ]);
    const last = deps.processor()?.lastDelivered();
    return {
      events_published_total: published,
      events_dlq_total: deadLettered,
      outbox_backlog: totals?.pending ?? null,
      publish_success_total: success,
      publish_failure_total: failure,
      success_rate: successRate(success, failure),
      last_processed_event_id: last?.id ?? null,
      last_processed_event_type: last?.eventType ?? null,
      last_processed_idempotency_key: last?.idempotencyKey ?? null,
      last_processed_at: last?.at.toISOString() ?? null,
    };
  };
}
