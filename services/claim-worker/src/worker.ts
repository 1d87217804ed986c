// The claim worker's core, free of process concerns (signals, env, HTTP), so tests and the
// benchmark drive it directly:
//
//   const worker = createWorker({ pool, redis, blockingRedis, keys, consumer, logger, metrics, options });
//   const report = await worker.drainOnce();   // everything queued now, then resolve
//   // or: const running = worker.run(); ... await worker.stop(20_000); await running;
//
// Both queues feed one pool of `concurrency` batch slots: the Redis stream (when enabled) and the
// DB fallback queue work_queue (always).
import {
  createWakeups,
  deleteConsumerIfIdle,
  DependencyState,
  type Logger,
  type Pool,
  type RedisClient,
  releaseWorkClaims,
  type ServiceMetrics,
  settlesWithin,
  type StreamKeys,
  waitUntilReady,
} from "@m10/shared";
import { createBatchProcessor, type EvaluationBatchReport, type ProcessedEntry } from "./batch-processor.js";

import { releaseEvaluationLeases } from "./evaluation/candidate-lease.js";
import { createEvaluator } from "./evaluation/evaluate-entries.js";
import { Slots } from "./slots.js";
import { createDbQueueSource } from "./sources/db-queue-source.js";
import { createStreamSource, type StreamSource } from "./sources/stream-source.js";

export interface WorkerOptions {
  batchSize: number;
  pollIntervalMs: number;
  concurrency: number;
  /** Consume the Redis stream (needs `redis` and `blockingRedis`). */
  useStream: boolean;
  blockMs: number;
  claimIdleMs: number;
  maxReclaimAttempts: number;
  reclaimIntervalMs: number;
  maxReclaimPerLoop: number;
  reclaimMaxBackoffMs: number;
  leaseMs: number;
  workStalledSeconds: number;
  releaseStalledIntervalMs: number;
  historyLimit: number;
  autoExecuteMinConfidence: number;
}

export interface WorkerDeps {
  pool: Pool;
  /** Commands (ack, reclaim, dead letters). Absent = DB queue only. */
  redis?: RedisClient;
  /** A dedicated connection for XREADGROUP BLOCK. */
  blockingRedis?: RedisClient;
  keys: StreamKeys;
  /** Consumer name in the group, evaluation lease holder and work_queue claimed_by. Unique per process. */
  consumer: string;
  logger: Logger;
  metrics: ServiceMetrics<"claim-worker">;
  options: WorkerOptions;
  /** Called after every batch (benchmarks: per-batch times). */
  onBatch?: (report: EvaluationBatchReport) => void;
}

export interface Totals {
  batches: number;
  evaluated: number;
  skipped: number;
  busy: number;
  failed: number;
  outboxEvents: number;
}

export interface WorkerStatus {
  consumer: string;
  useStream: boolean;
  stopping: boolean;
  inFlightBatches: number;
  lastBatchAt: string | null;
  /** The last entry this worker evaluated or skipped, and when (the seed's last_processed_event_id). */
  lastProcessed: (ProcessedEntry & { at: string }) | null;
  totals: Totals;
  dependencies: { postgres: ReturnType<DependencyState["report"]>; redis: ReturnType<DependencyState["report"]> | "disabled" };
}

export interface StopReport {
  /** True when in-flight work had to be cancelled at the deadline. */
  cancelled: boolean;
  leasesReleased: number;
  workClaimsReleased: number;
}

export interface Worker {
  /** Consumes both queues until stop(). Never rejects. */
  run(): Promise<void>;
  /** Work may be waiting in work_queue (a NOTIFY m10_work): an idle claim loop claims at once. */
  wake(): void;
  /** Evaluates what is queued now (new stream entries, stalled ones, work_queue), then resolves. */
  drainOnce(): Promise<Totals>;
  /** Stops claiming, lets in-flight batches finish (cancelling them at the deadline), releases what this worker holds. */
  stop(deadlineMs: number): Promise<StopReport>;
  status(): WorkerStatus;
}

const GRACE_AFTER_CANCEL_MS = 3_000;
/** How long a start waits for the first Redis connection before treating Redis as down. */
const FIRST_CONNECT_MS = 5_000;

function emptyTotals(): Totals {
  return { batches: 0, evaluated: 0, skipped: 0, busy: 0, failed: 0, outboxEvents: 0 };
}

export function createWorker(deps: WorkerDeps): Worker {
  const { options, logger } = deps;
  const stopController = new AbortController();
  const hardController = new AbortController();
  const dbState = new DependencyState("postgres", logger);
  const redisState = new DependencyState("redis", logger);
  const slots = new Slots(options.concurrency, (error) => logger.error({ err: error }, "batch.crashed"));
  const totals = emptyTotals();
  let drainTotals: Totals | undefined;
  let lastBatchAt: Date | null = null;
  let lastProcessed: WorkerStatus["lastProcessed"] = null;
  const active = new Set<Promise<unknown>>();

  const evaluator = createEvaluator(
    deps.pool,
    {
      holder: deps.consumer,
      leaseMs: options.leaseMs,
      historyLimit: options.historyLimit,
      autoExecuteMinConfidence: options.autoExecuteMinConfidence,
    },
    logger,
  );
  const processor = createBatchProcessor({
    pool: deps.pool,
    redis: deps.redis,
    keys: deps.keys,
    consumer: deps.consumer,
    evaluator,
    metrics: deps.metrics,
    logger,
    maxAttempts: options.maxReclaimAttempts,
    onBatch: (report) => {
      lastBatchAt = new Date();
      if (report.lastProcessed) lastProcessed = { ...report.lastProcessed, at: lastBatchAt.toISOString() };
      for (const target of drainTotals ? [totals, drainTotals] : [totals]) {
        target.batches += 1;
        target.evaluated += report.evaluated;
        target.skipped += report.skipped;
        target.busy += report.busy;
        target.failed += report.failed;
        target.outboxEvents += report.outboxEvents;
      }
      deps.onBatch?.(report);
    },
  });

  const stream: StreamSource | undefined =
    options.useStream && deps.redis && deps.blockingRedis
      ? createStreamSource({
          redis: deps.redis,
          blocking: deps.blockingRedis,
          pool: deps.pool,
          keys: deps.keys,
          consumer: deps.consumer,
          settings: options,
          slots,
          processor,
          metrics: deps.metrics,
          logger,
          redisState,
        })
      : undefined;
  const wakeups = createWakeups();
  const dbQueue = createDbQueueSource({
    wakeups,
    pool: deps.pool,
    consumer: deps.consumer,
    settings: options,
    slots,
    processor,
    metrics: deps.metrics,
    logger,
    dbState,
  });

  function track<T>(promise: Promise<T>): Promise<T> {
    active.add(promise);
    return promise.finally(() => active.delete(promise));
  }

  async function releaseHeld(): Promise<{ leases: number; claims: number }> {
    let leases = 0;
    let claims = 0;
    try {
      leases = await releaseEvaluationLeases(deps.pool, deps.consumer);
      claims = await releaseWorkClaims(deps.pool, deps.consumer);
    } catch (error) {
      // Leases expire and release_stalled_work returns claims; nothing is lost, only delayed.
      logger.error({ err: error }, "shutdown.release_failed");
    }
    return { leases, claims };
  }

  const stop = stopController.signal;
  const hard = hardController.signal;

  /** Waits (bounded) for the first connection of both Redis clients, so start-up is not reported as an outage. */
  async function redisConnected(): Promise<void> {
    if (!stream) return;
    const clients = [deps.redis, deps.blockingRedis].filter((client): client is RedisClient => client !== undefined);
    const ready = await Promise.all(clients.map((client) => waitUntilReady(client, FIRST_CONNECT_MS)));
    if (ready.some((ok) => !ok)) logger.warn({ waitedMs: FIRST_CONNECT_MS }, "redis.not_connected_at_start");
  }

  return {
    wake: () => wakeups.wake(),
    run() {
      return track(
        (async () => {
          const loops: Promise<void>[] = [dbQueue.loop(stop, hard, "continuous"), dbQueue.releaseStalledLoop(stop)];
          if (stream) {
            await redisConnected();
            loops.push(stream.readLoop(stop, hard, "continuous"), stream.reclaimLoop(stop, hard));
          }
          logger.info({ consumer: deps.consumer, useStream: Boolean(stream), concurrency: options.concurrency, batchSize: options.batchSize }, "worker.started");
          await Promise.all(loops);
          await slots.idle();
        })().catch((error: unknown) => logger.error({ err: error }, "worker.loop_crashed")),
      );
    },

    async drainOnce() {
      drainTotals = emptyTotals();
      const run = track(
        (async () => {
          await dbQueue.releaseStalledOnce();
          if (stream) {
            await redisConnected();
            await stream.reclaimOnce(hard);
          }
          await Promise.all([dbQueue.loop(stop, hard, "once"), stream?.readLoop(stop, hard, "once")]);
          await slots.idle();
        })(),
      );
      try {
        await run;
        return drainTotals;
      } finally {
        drainTotals = undefined;
      }
    },

    async stop(deadlineMs) {
      stopController.abort(new Error("stop requested"));
      const finished = await settlesWithin(
        Promise.allSettled([...active]).then(() => slots.idle()),
        deadlineMs,
      );
      if (!finished) {
        logger.warn({ inFlightBatches: slots.inFlight, deadlineMs }, "worker.cancelling_in_flight");
        hardController.abort(new Error("shutdown deadline"));
        await settlesWithin(slots.idle(), GRACE_AFTER_CANCEL_MS);
      }
      const released = await releaseHeld();
      if (deps.redis && stream) {
        await deleteConsumerIfIdle(deps.redis, deps.keys, deps.consumer).catch((error: unknown) =>
          logger.debug({ err: error }, "stream.consumer_cleanup_failed"),
        );
      }
      logger.info({ cancelled: !finished, ...released, totals }, "worker.stopped");
      return { cancelled: !finished, leasesReleased: released.leases, workClaimsReleased: released.claims };
    },

    status() {
      return {
        consumer: deps.consumer,
        useStream: Boolean(stream),
        stopping: stop.aborted,
        inFlightBatches: slots.inFlight,
        lastBatchAt: lastBatchAt?.toISOString() ?? null,
        lastProcessed,
        totals: { ...totals },
        dependencies: { postgres: dbState.report(), redis: stream ? redisState.report() : "disabled" },
      };
    },
  };
}
