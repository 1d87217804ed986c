import { waitFor } from "../wait.js";

export interface WaitOptions {
  /** Give up (and throw) after this long; default 30 s. */
  timeoutMs?: number;
  /** Pause between checks; default 100 ms. */
  intervalMs?: number;
}

/**
 * Checks `check` until it returns true. A check that throws counts as "not yet"; when the time is
 * up, the error names `what` and the last error a check threw. (devstack's waitFor, with options.)
 */
export function waitUntil(what: string, check: () => boolean | Promise<boolean>, options: WaitOptions = {}): Promise<void> {
  return waitFor(what, async () => check(), options.timeoutMs ?? 30_000, options.intervalMs ?? 100);
}
