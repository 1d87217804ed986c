/** `work` did not settle in time. */
export class TimeoutError extends Error {
  constructor(readonly what: string, readonly timeoutMs: number) {
    super(`${what}: no answer within ${timeoutMs} ms`);
    this.name = "TimeoutError";
  }
}

/**
 * Resolves or rejects as `work` does, or rejects with TimeoutError after `timeoutMs`. The work
 * itself is not cancelled (a pool query keeps waiting for its connection); its late rejection is
 * swallowed so it never becomes an unhandled rejection.
 */
export function withTimeout<T>(work: Promise<T>, timeoutMs: number, what = "operation"): Promise<T> {
  work.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(what, timeoutMs)), Math.max(0, timeoutMs));
    timer.unref();
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** True when `work` settles (either way) within `timeoutMs`: for shutdown deadlines, where only "done yet?" matters. */
export function settlesWithin(work: Promise<unknown>, timeoutMs: number): Promise<boolean> {
  return withTimeout(work.then(() => true, () => true), timeoutMs).catch(() => false);
}
