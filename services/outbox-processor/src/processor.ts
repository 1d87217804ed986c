import { type BatchReport, type CircuitSnapshot, createDeliveryEngine, type DeliveredEvent, type DeliveryEngineDeps } from "@m10/delivery";
import { createWakeups, isDatabaseUnavailable, type Logger, sleep, type Wakeups } from "@m10/shared";

export interface ProcessorDeps extends DeliveryEngineDeps {
  batchSize: number;
  concurrency: number;
  /** Longest wait for a wake-up after a claim found nothing (ms): the safety net of the notifications. */
  pollIntervalMs: number;
  /**
   * Claimed events not yet finished, at most: up to ceil(maxInFlight / batchSize) batches are
   * delivered at once, so the next batch is claimed while the current one delivers.
   */
  maxInFlight: number;
}

export interface ProcessorTotals extends Omit<BatchReport, "claimed"> {
  batches: number;
  claimed: number;
}

export interface Processor {
  readonly processorId: string;
  /** Checks NATS streams; call once before delivering. */
  start(): Promise<void>;
  /** Claims and delivers one batch (the --once mode and the benchmark's unit of work). */
  runOnce(signal?: AbortSignal): Promise<BatchReport>;
  /** Delivers until `signal` aborts; started deliveries finish, unstarted claims are released. */
  run(signal: AbortSignal): Promise<ProcessorTotals>;
  /** Work may be waiting (an outbox notification): an idle lane claims at once. */
  wake(): void;
  /** The last batch's report, for /health/detailed. */
  lastReport(): BatchReport | undefined;
  /** Each target's circuit breaker, for /health/detailed. */
  circuitBreakers(): Record<string, CircuitSnapshot>;
  /** The last event delivered, for /monitoring/metrics. */
  lastDelivered(): DeliveredEvent | undefined;
  close(): Promise<void>;
}

/** Pause after a failed batch (database down, ...) before trying again. */
const ERROR_PAUSE_MS = 2_000;

/**
 * One outbox processor: the shared delivery engine in lanes. A lane claims a batch, delivers it
 * and claims again at once while claims find events; when a claim finds none it waits for a
 * wake-up (an outbox notification, or another lane that found a full batch), at most
 * `pollIntervalMs`. Several lanes pipeline: one claims while the others deliver. Any number of
 * processors run at once (in one process or many); leases keep each event with one of them, and
 * an aggregate's versions are claimed one at a time (migration 026), so lanes keep their order.
 */
export function createProcessor(deps: ProcessorDeps): Processor {
  const engine = createDeliveryEngine(deps);
  const { logger } = deps;
  const wakeups: Wakeups = createWakeups();
  let last: BatchReport | undefined;

  const runOnce = async (signal?: AbortSignal): Promise<BatchReport> => {
    const report = await engine.runBatch({ batchSize: deps.batchSize, concurrency: deps.concurrency, signal });
    last = report;
    if (report.claimed > 0) logger.info(report, "outbox.batch_done");
    return report;
  };

  return {
    processorId: engine.processorId,
    start: () => engine.start(),
    runOnce,
    lastReport: () => last,
    circuitBreakers: () => engine.circuitBreakers(),
    lastDelivered: () => engine.lastDelivered(),
    async run(signal) {
      const totals: ProcessorTotals = {
        batches: 0, claimed: 0, delivered: 0, retried: 0, deadLettered: 0, failed: 0, released: 0, leaseLost: 0, completionErrors: 0,
      };
      const lane = async () => {
        // A signal of its own: each batch sizes its signal's listener limit for its own deliveries.
        const laneSignal = AbortSignal.any([signal]);
        while (!laneSignal.aborted) {
          try {
            const report = await runOnce(laneSignal);
            totals.batches += 1;
            for (const key of Object.keys(report) as (keyof BatchReport)[]) totals[key] += report[key];
            // A full batch: more is waiting, so an idle lane claims too while this one delivers.
            if (report.claimed >= deps.batchSize) wakeups.wake();
            // Events handled: claim again at once (more may be due; a completed version lets the next
            // one go). A batch given back whole (throttled) waits instead of spinning on it.
            if (report.claimed > report.released) continue;
            await wakeups.wait(deps.pollIntervalMs, laneSignal);
          } catch (error) {
            if (isDatabaseUnavailable(error)) logger.warn({ err: error }, "outbox.database_unavailable");
            else logger.error({ err: error }, "outbox.batch_failed");
            await sleep(ERROR_PAUSE_MS, laneSignal);
          }
        }
      };
      const lanes = Math.max(1, Math.ceil(deps.maxInFlight / deps.batchSize));
      await Promise.all(Array.from({ length: lanes }, lane));
      logger.info({ ...totals, lanes }, "outbox.loop_stopped");
      return totals;
    },
    wake: () => wakeups.wake(),
    close: () => engine.close(),
  };
}

/**
 * The process's delivery work: with `once`, one batch whose report goes to stdout (exit code 1 when
 * an attempt failed); otherwise the loop until `signal` aborts. Resolves the exit code once the
 * once-batch is done, or at once for the loop (whose end `loopDone` reports).
 */
export async function runDelivery(
  processor: Processor,
  options: { once: boolean; signal: AbortSignal; logger: Logger },
): Promise<{ exitCode: number; loopDone: Promise<unknown> }> {
  if (!options.once) return { exitCode: 0, loopDone: processor.run(options.signal) };
  try {
    const report = await processor.runOnce(options.signal);
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return { exitCode: report.failed > 0 || report.completionErrors > 0 ? 1 : 0, loopDone: Promise.resolve() };
  } catch (error) {
    options.logger.error({ err: error }, "outbox.batch_failed");
    return { exitCode: 1, loopDone: Promise.resolve() };
  }
}
