// At most `size` evaluation batches in flight (--concurrency), shared by every queue source,
// and a record of the running ones so shutdown can wait for them.
export class Slots {
  private free: number;
  private readonly waiters: (() => void)[] = [];
  private readonly running = new Set<Promise<void>>();

  /** `onError` receives what a launched task throws (tasks are expected to handle their own errors). */
  constructor(
    readonly size: number,
    private readonly onError: (error: unknown) => void,
  ) {
    this.free = size;
  }

  get inFlight(): number {
    return this.running.size;
  }

  /** Waits for a free slot; false when `signal` fired first (nothing acquired). */
  async acquire(signal: AbortSignal): Promise<boolean> {
    if (signal.aborted) return false;
    if (this.free > 0) {
      this.free -= 1;
      return true;
    }
    return new Promise<boolean>((resolve) => {
      const onAbort = () => {
        const index = this.waiters.indexOf(grant);
        if (index >= 0) this.waiters.splice(index, 1);
        resolve(false);
      };
      const grant = () => {
        signal.removeEventListener("abort", onAbort);
        resolve(true);
      };
      this.waiters.push(grant);
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Gives back a slot that was acquired but not used for launch(). */
  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.free += 1;
  }

  /** Runs `task` in an acquired slot and releases the slot when it is done. */
  launch(task: () => Promise<void>): void {
    const run = task()
      .catch((error: unknown) => this.onError(error))
      .finally(() => {
        this.running.delete(run);
        this.release();
      });
    this.running.add(run);
  }

  /** Resolves when every launched task has finished. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }
}
