import type { Logger } from "pino";

export type ShutdownStep = { name: string; run: () => Promise<void> | void };

export interface Shutdown {
  /** Resolves when a stop was requested (SIGTERM/SIGINT or requestStop()). */
  readonly stopping: Promise<void>;
  readonly isStopping: boolean;
  /** AbortSignal that fires when a stop is requested, for loops and blocking calls. */
  readonly signal: AbortSignal;
  /** Steps run in reverse registration order (last started, first stopped). */
  onStop(name: string, run: () => Promise<void> | void): void;
  requestStop(reason: string): void;
  /** Waits for a stop request, runs the steps within the deadline and returns the exit code. */
  untilStopped(): Promise<number>;
}

/**
 * Graceful shutdown: SIGTERM or SIGINT asks every step to finish within `deadlineMs`; a second
 * signal or the deadline forces exit 1 so a stuck dependency never hangs the process.
 */
export function createShutdown(logger: Logger, deadlineMs: number): Shutdown {
  const steps: ShutdownStep[] = [];
  const controller = new AbortController();
  let resolveStopping: () => void = () => undefined;
  const stopping = new Promise<void>((resolve) => (resolveStopping = resolve));

  const requestStop = (reason: string) => {
    if (controller.signal.aborted) return;
    logger.info({ reason }, "shutdown.requested");
    controller.abort(new Error(reason));
    resolveStopping();
  };

  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      logger.warn({ signal }, "shutdown.forced");
      process.exit(1);
    }
    requestStop(signal);
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);

  return {
    stopping,
    get isStopping() {
      return controller.signal.aborted;
    },
    signal: controller.signal,
    onStop: (name, run) => steps.push({ name, run }),
    requestStop,
    async untilStopped() {
      await stopping;
      const timer = setTimeout(() => {
        logger.error({ deadlineMs }, "shutdown.deadline_exceeded");
        process.exit(1);
      }, deadlineMs);
      timer.unref();
      let code = 0;
      for (const step of [...steps].reverse()) {
        try {
          await step.run();
        } catch (error) {
          code = 1;
          logger.error({ err: error, step: step.name }, "shutdown.step_failed");
        }
      }
      clearTimeout(timer);
      process.off("SIGTERM", onSignal);
      process.off("SIGINT", onSignal);
      logger.info({ code }, "shutdown.complete");
      return code;
    },
  };
}
