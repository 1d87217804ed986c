// outbox_process: one batch through the outbox-processor's delivery engine (same routing, leases,
// throttles, retries and dead letters), so a stack without a running outbox-processor still
// drains its outbox every five minutes. The engine (and its NATS connection, when a route needs
// one) is created on first use and kept for later runs in loop mode.
import { type Logger, type OrchestratorConfig, outboxStatusOverview, type Pool, type RedisClient } from "@m10/shared";
import {
  connectNats,
  createDeliveryEngine,
  type DeliveryEngine,
  type DeliveryMetrics,
  deliverySettings,
  loadRoutingConfig,
  type NatsConnection,
} from "@m10/delivery";

export type OutboxProcessDetails = {
  dry_run: boolean;
  batch_size: number;
  /** Unprocessed events due now (before the batch). */
  due: number;
  /** Waiting for a retry time in the future. */
  retrying: number;
  claimed: number;
  delivered: number;
  retried: number;
  dead_lettered: number;
  released: number;
  lease_lost: number;
  completion_errors: number;
};

export interface OutboxTaskDeps {
  pool: Pool;
  redis: RedisClient | undefined;
  config: OrchestratorConfig;
  logger: Logger;
  metrics: DeliveryMetrics;
  processorId: string;
}

export interface OutboxTask {
  run(options: { dryRun: boolean; signal: AbortSignal }): Promise<OutboxProcessDetails>;
  close(): Promise<void>;
}

export function createOutboxTask(deps: OutboxTaskDeps): OutboxTask {
  let engine: DeliveryEngine | undefined;
  let nats: NatsConnection | undefined;

  const ensureEngine = async (): Promise<DeliveryEngine> => {
    if (engine) return engine;
    const routing = loadRoutingConfig(deps.config);
    if ([...routing.targets.values()].some((target) => target.type === "nats")) {
      nats ??= await connectNats(deps.config.NATS_URL, `m10-orchestrator:${deps.processorId}`);
    }
    const created = createDeliveryEngine({
      pool: deps.pool,
      redis: deps.redis,
      nats,
      logger: deps.logger,
      metrics: deps.metrics,
      routing,
      settings: deliverySettings(deps.config),
      processorId: deps.processorId,
    });
    await created.start();
    engine = created;
    return created;
  };

  return {
    async run({ dryRun, signal }) {
      const batchSize = deps.config.M10_ORCHESTRATOR_OUTBOX_BATCH_SIZE;
      const overview = await outboxStatusOverview(deps.pool);
      const due = overview.find((row) => row.status === "pending")?.count ?? 0;
      const retrying = overview.find((row) => row.status === "retrying")?.count ?? 0;
      const details: OutboxProcessDetails = {
        dry_run: dryRun,
        batch_size: batchSize,
        due,
        retrying,
        claimed: 0,
        delivered: 0,
        retried: 0,
        dead_lettered: 0,
        released: 0,
        lease_lost: 0,
        completion_errors: 0,
      };
      if (dryRun || due === 0) return details;
      const batch = await (await ensureEngine()).runBatch({ batchSize, concurrency: Math.min(10, batchSize), signal });
      details.claimed = batch.claimed;
      details.delivered = batch.delivered;
      details.retried = batch.retried;
      details.dead_lettered = batch.deadLettered;
      details.released = batch.released;
      details.lease_lost = batch.leaseLost;
      details.completion_errors = batch.completionErrors;
      return details;
    },
    async close() {
      await engine?.close();
      if (nats) await nats.drain().catch(() => nats?.close());
    },
  };
}
