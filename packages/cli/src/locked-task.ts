// m10ctl commands that do a maintenance task's job run it exactly as the orchestrator does: under
// the task's lock (TASK_LOCKS), with a timeout, reported as a TaskResult. A dry run takes no lock.
import { lockTtlSeconds, runMaintenanceTask, TASK_LOCKS, type TaskName, type TaskResult } from "@m10/maintenance";
import type { Context } from "./context.js";
import { EXIT_FAILED, EXIT_LOCK_HELD } from "./output.js";

export async function runLockedTask(
  ctx: Context,
  task: TaskName,
  options: { dryRun: boolean; timeoutSeconds?: number },
  work: (signal: AbortSignal) => Promise<Record<string, unknown>>,
): Promise<TaskResult> {
  const timeoutSeconds = options.timeoutSeconds ?? ctx.config.M10_ORCHESTRATOR_TIMEOUT;
  const controller = new AbortController();
  const stop = () => controller.abort(new Error("interrupted (SIGINT/SIGTERM)"));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  try {
    return await runMaintenanceTask(
      {
        name: task,
        lockName: TASK_LOCKS[task],
        holder: ctx.holder,
        timeoutSeconds,
        ttlSeconds: lockTtlSeconds(timeoutSeconds, ctx.config.M10_LOCK_TTL_MARGIN_SECONDS),
        dryRun: options.dryRun,
        db: ctx.db(),
        logger: ctx.logger,
        signal: controller.signal,
      },
      work,
    );
  } finally {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
  }
}

/** 0 done, 3 another holder has the lock, 1 failed. */
export function taskExitCode(result: TaskResult): number {
  if (result.skipped) return EXIT_LOCK_HELD;
  return result.success ? 0 : EXIT_FAILED;
}

/** The first lines of a task result for people. */
export function taskHeadline(result: TaskResult): string {
  if (result.skipped) return `${result.name}: skipped: ${result.skip_reason ?? "lock held elsewhere"}`;
  if (!result.success) return `${result.name}: FAILED after ${result.duration_seconds}s: ${result.error ?? "unknown error"}`;
  return `${result.name}: done in ${result.duration_seconds}s`;
}
