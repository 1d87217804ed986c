/**
 * Wake-ups of idle claim loops (the outbox processor's lanes, the claim worker's work_queue loop):
 * a notification wakes ONE waiting loop; with none waiting it is kept as one pending wake-up for
 * the next loop that would wait. Any number of notifications while every loop is busy fold into
 * that one, so a burst of commits costs one extra claim, not one per commit.
 */
export interface Wakeups {
  wake(): void;
  /** Resolves at the first wake-up (at once when one is pending), after `ms`, or when `signal` aborts. */
  wait(ms: number, signal: AbortSignal): Promise<void>;
}

export function createWakeups(): Wakeups {
  const waiting: (() => void)[] = [];
  let pending = false;
  return {
    wake() {
      const next = waiting.shift();
      if (next) next();
      else pending = true;
    },
    wait(ms, signal) {
      if (pending || signal.aborted) {
        pending = false;
        return Promise.resolve();
      }
      return new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          signal.removeEventListener("abort", done);
          const index = waiting.indexOf(done);
          if (index >= 0) waiting.splice(index, 1);
          resolve();
        };
        const timer = setTimeout(done, ms);
        signal.addEventListener("abort", done, { once: true });
        waiting.push(done);
      });
    },
  };
}
