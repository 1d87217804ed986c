import type { Logger } from "pino";
import { sleep } from "./sleep.js";

/** Delay before the next try after `failures` consecutive failures: `baseMs` doubling, capped at `capMs`. */
export function backoffDelayMs(failures: number, baseMs = 250, capMs = 5_000): number {
  return Math.min(baseMs * 2 ** Math.min(failures, 16), capMs);
}

export interface RetryOptions {
  /** What is being tried, for the logs ("nats connect", "nats streams"). */
  what: string;
  logger: Logger;
  signal: AbortSignal;
  baseMs?: number;
  capMs?: number;
}

/**
 * Tries `work` until it succeeds or `signal` aborts (then resolves undefined): start-up steps that
 * need a dependency which may come up after us. The first failure is a warning, the rest debug
 * lines, and success after failures says how many tries it took: one outage, two lines.
 */
export async function retryUntil<T>(work: () => Promise<T>, options: RetryOptions): Promise<T | undefined> {
  const { what, logger, signal } = options;
  for (let failures = 0; !signal.aborted; failures += 1) {
    try {
      const value = await work();
      if (failures > 0) logger.info({ step: what, attempts: failures + 1 }, "startup.step_recovered");
      return value;
    } catch (error) {
      const retryInMs = backoffDelayMs(failures, options.baseMs, options.capMs);
      if (failures === 0) logger.warn({ step: what, err: error, retry_in_ms: retryInMs }, "startup.step_failed");
      else logger.debug({ step: what, err: error, retry_in_ms: retryInMs, attempt: failures + 1 }, "startup.step_failed");
      await sleep(retryInMs, signal);
    }
  }
  return undefined;
}
