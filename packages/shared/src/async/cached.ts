/**
 * `load` shared by every caller: concurrent callers wait for the same run, and its result is
 * reused for `ttlMs` after it settles (a failure is not kept). ttlMs 0 runs `load` for each call
 * that finds none running.
 */
export function cachedFor<T>(ttlMs: number, load: () => Promise<T>, now: () => number = Date.now): () => Promise<T> {
  let current: { promise: Promise<T>; expiresAt: number } | undefined;
  return () => {
    if (current && now() < current.expiresAt) return current.promise;
    const entry = { promise: load(), expiresAt: Number.POSITIVE_INFINITY };
    current = entry;
    entry.promise.then(
      () => {
        entry.expiresAt = now() + ttlMs;
      },
      () => {
        if (current === entry) current = undefined;
      },
    );
    return entry.promise;
  };
}
