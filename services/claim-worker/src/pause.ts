import { setTimeout as delay } from "node:timers/promises";

/** Waits `ms`, or less if `signal` fires; never throws. */
export async function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted || ms <= 0) return;
  await delay(ms, undefined, { signal }).catch(() => undefined);
}
