/**
 * Wake-ups of the processor's idle lanes: a notification (or a lane that found a full batch) wakes
 * ONE waiting lane; with none waiting it is kept as one pending wake-up for the next lane that
 * would wait. Any number of notifications while every lane is busy fold into that one, so a burst
 * of commits costs one extra claim, not one per commit.
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
