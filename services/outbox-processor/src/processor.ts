import { type BatchReport, createDeliveryEngine, type DeliveryEngineDeps } from "@m10/delivery";
import { isDatabaseUnavailable, type Logger, sleep } from "@m10/shared";

export interface ProcessorDeps extends DeliveryEngineDeps {
  batchSize: number;
  concurrency: number;
  /** Sleep after a batch that was not full (ms). */
  pollIntervalMs: number;
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
  /** The last batch's report, for /health/detailed. */
  lastReport(): BatchReport | undefined;
  close(): Promise<void>;
}

/** Pause after a failed batch (database down, ...) before trying again. */
const ERROR_PAUSE_MS = 2_000;

/**
 * One outbox processor: the shared delivery engine plus the polling loop. Any number of them run
 * at once (in one process or many); leases keep each event with one of them.
 */
export function createProcessor(deps: ProcessorDeps): Processor {
  const engine = createDeliveryEngine(deps);
  const { logger } = deps;
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
    async run(signal) {
      const totals: ProcessorTotals = {
        batches: 0, claimed: 0, delivered: 0, retried: 0, deadLettered: 0, failed: 0, released: 0, leaseLost: 0, completionErrors: 0,
      };
      while (!signal.aborted) {
        let pauseMs = deps.pollIntervalMs;
        try {
          const report = await runOnce(signal);
          totals.batches += 1;
          for (const key of Object.keys(report) as (keyof BatchReport)[]) totals[key] += report[key];
          // A full batch means more is waiting: claim again at once.
          if (report.claimed >= deps.batchSize) pauseMs = 0;
        } catch (error) {
          pauseMs = Math.max(pauseMs, ERROR_PAUSE_MS);
          if (isDatabaseUnavailable(error)) logger.warn({ err: error }, "outbox.database_unavailable");
          else logger.error({ err: error }, "outbox.batch_failed");
        }
        if (pauseMs > 0) await sleep(pauseMs, signal);
      }
      logger.info(totals, "outbox.loop_stopped");
      return totals;
    },
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
