// One orchestrator run: the leader lock for the whole run, then each selected task under its own
// lock and timeout, in order. The report is what --json prints.
import { errorMessage, type Logger, type Queryable } from "@m10/shared";
import {
  describeHolder,
  type LockObserver,
  lockTtlSeconds,
  ORCHESTRATOR_LEADER_LOCK,
  runExclusive,
  runMaintenanceTask,
  TASK_LOCKS,
  type TaskBody,
  type TaskName,
  type TaskResult,
} from "@m10/maintenance";

export interface RunReport {
  timestamp: string;
  dry_run: boolean;
  holder: string;
  durations: Record<string, number>;
  tasks: TaskResult[];
  tasks_run: number;
  tasks_succeeded: number;
  tasks_failed: number;
  tasks_skipped: number;
  all_success: boolean;
}


export interface RunOptions {
  tasks: readonly TaskName[];
  dryRun: boolean;
  timeoutSeconds: number;
  ttlMarginSeconds: number;
  holder: string;
  db: Queryable;
  logger: Logger;
  bodies: Readonly<Record<TaskName, TaskBody>>;
  observer?: LockObserver;
  /** Stop request (SIGTERM): the running task is aborted, the remaining ones do not start. */
  signal?: AbortSignal;
  /** After a timeout, how long a task may take to notice before it is abandoned (ms). */
  graceMs?: number;
}

const round3 = (seconds: number) => Math.round(seconds * 1000) / 1000;

function report(options: RunOptions, started: number, timestamp: string, tasks: TaskResult[]): RunReport {
  const durations: Record<string, number> = { total_seconds: round3((performance.now() - started) / 1000) };
  for (const task of tasks) durations[task.name] = task.duration_seconds;
  const failed = tasks.filter((task) => !task.success).length;
  return {
    timestamp,
    dry_run: options.dryRun,
    holder: options.holder,
    durations,
    tasks,
    tasks_run: tasks.filter((task) => !task.skipped).length,
    tasks_succeeded: tasks.filter((task) => task.success && !task.skipped).length,
    tasks_failed: failed,
    tasks_skipped: tasks.filter((task) => task.skipped).length,
    all_success: failed === 0,
  };
}

async function runTasks(options: RunOptions, signal: AbortSignal | undefined): Promise<TaskResult[]> {
  const results: TaskResult[] = [];
  const ttlSeconds = lockTtlSeconds(options.timeoutSeconds, options.ttlMarginSeconds);
  for (const name of options.tasks) {
    if (signal?.aborted) {
      results.push({ name, success: false, skipped: true, skip_reason: "stop requested before the task started", error: null, duration_seconds: 0, details: {} });
      continue;
    }
    const body = options.bodies[name];
    results.push(
      await runMaintenanceTask(
        {
          name,
          lockName: TASK_LOCKS[name],
          holder: options.holder,
          timeoutSeconds: options.timeoutSeconds,
          ttlSeconds,
          dryRun: options.dryRun,
          db: options.db,
          logger: options.logger,
          observer: options.observer,
          signal,
          graceMs: options.graceMs,
        },
        (taskSignal) => body({ dryRun: options.dryRun, signal: taskSignal }),
      ),
    );
  }
  return results;
}

export async function runOnce(options: RunOptions): Promise<RunReport> {
  const started = performance.now();
  const timestamp = new Date().toISOString();
  // A dry run writes nothing, not even lock rows.
  if (options.dryRun) return report(options, started, timestamp, await runTasks(options, options.signal));

  const graceMs = options.graceMs ?? 5_000;
  let outcome;
  try {
    outcome = await runExclusive(
      {
        db: options.db,
        lockName: ORCHESTRATOR_LEADER_LOCK,
        holder: options.holder,
        ttlSeconds: lockTtlSeconds(options.timeoutSeconds, options.ttlMarginSeconds),
        // Each task has its own timeout; this one only bounds a run that stopped making progress.
        timeoutMs: options.tasks.length * (options.timeoutSeconds * 1000 + graceMs) + graceMs,
        graceMs,
        logger: options.logger,
        observer: options.observer,
        signal: options.signal,
      },
      (signal) => runTasks(options, signal),
    );
  } catch (error) {
    // acquire_lock failed (PostgreSQL unreachable): every task failed to run.
    const message = `leader lock ${ORCHESTRATOR_LEADER_LOCK}: ${errorMessage(error)}`;
    options.logger.error({ err: error }, "orchestrator.leader_lock_failed");
    return report(
      options,
      started,
      timestamp,
      options.tasks.map((name) => ({ name, success: false, skipped: false, skip_reason: null, error: message, duration_seconds: 0, details: {} })),
    );
  }
  if (outcome.status === "skipped") {
    const reason = describeHolder(outcome.lockName, outcome.holder);
    const details = {
      lock_name: outcome.lockName,
      held_by: outcome.holder?.holder_id ?? null,
      expires_at: outcome.holder?.expires_at.toISOString() ?? null,
    };
    options.logger.info({ heldBy: details.held_by }, "orchestrator.not_leader");
    return report(
      options,
      started,
      timestamp,
      options.tasks.map((name) => ({ name, success: true, skipped: true, skip_reason: reason, error: null, duration_seconds: 0, details })),
    );
  }
  const tasks = outcome.value ?? [];
  if (outcome.error && tasks.length < options.tasks.length) {
    const done = new Set(tasks.map((task) => task.name));
    for (const name of options.tasks.filter((task) => !done.has(task))) {
      tasks.push({ name, success: false, skipped: false, skip_reason: null, error: outcome.error.message, duration_seconds: 0, details: {} });
    }
  }
  return report(options, started, timestamp, tasks);
}
