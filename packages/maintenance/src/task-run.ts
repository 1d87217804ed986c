// One maintenance task run as the orchestrator and m10ctl report it: under the task's lock (or,
// with --dry-run, without one: a dry run changes nothing, not even distributed_locks), with a
// timeout, as a TaskResult whatever happens.
import type { Logger } from "pino";
import type { Queryable } from "@m10/shared";
import { describeHolder, runExclusive, supervise, type LockObserver } from "./runner.js";

/** The JSON shape of one task in `--json` output. */
export interface TaskResult {
  name: string;
  success: boolean;
  skipped: boolean;
  skip_reason: string | null;
  error: string | null;
  duration_seconds: number;
  details: Record<string, unknown>;
}

/** A task failure that still has something to report (e.g. the jobs that did succeed). */
export class MaintenanceTaskError extends Error {
  constructor(
    message: string,
    readonly details: Record<string, unknown>,
  ) {
    super(message);
    this.name = "MaintenanceTaskError";
  }
}

export interface TaskRunOptions {
  name: string;
  lockName: string;
  holder: string;
  timeoutSeconds: number;
  ttlSeconds: number;
  dryRun: boolean;
  db: Queryable;
  logger: Logger;
  observer?: LockObserver;
  /** Stop request from outside (SIGTERM). */
  signal?: AbortSignal;
  graceMs?: number;
}

const round3 = (seconds: number) => Math.round(seconds * 1000) / 1000;

export async function runMaintenanceTask(
  options: TaskRunOptions,
  work: (signal: AbortSignal) => Promise<Record<string, unknown>>,
): Promise<TaskResult> {
  const { name, logger } = options;
  const started = performance.now();
  const elapsed = () => round3((performance.now() - started) / 1000);
  const supervision = { timeoutMs: options.timeoutSeconds * 1000, signal: options.signal, graceMs: options.graceMs };
  logger.info({ task: name, lockName: options.lockName, dryRun: options.dryRun }, "task.started");

  let result: TaskResult;
  try {
    if (options.dryRun) {
      const outcome = await supervise(work, supervision);
      result = fromOutcome(name, outcome.value, outcome.error, elapsed());
    } else {
      const outcome = await runExclusive(
        {
          ...supervision,
          db: options.db,
          lockName: options.lockName,
          holder: options.holder,
          ttlSeconds: options.ttlSeconds,
          logger,
          observer: options.observer,
        },
        work,
      );
      if (outcome.status === "skipped") {
        result = {
          name,
          success: true,
          skipped: true,
          skip_reason: describeHolder(outcome.lockName, outcome.holder),
          error: null,
          duration_seconds: elapsed(),
          details: {
            lock_name: outcome.lockName,
            held_by: outcome.holder?.holder_id ?? null,
            expires_at: outcome.holder?.expires_at.toISOString() ?? null,
          },
        };
      } else {
        result = fromOutcome(name, outcome.value, outcome.error, elapsed());
      }
    }
  } catch (error) {
    // acquire_lock itself failed (PostgreSQL down): the task did not run.
    result = fromOutcome(name, undefined, error instanceof Error ? error : new Error(String(error)), elapsed());
  }
  const level = result.success ? "info" : "error";
  logger[level](
    { task: name, success: result.success, skipped: result.skipped, error: result.error, durationSeconds: result.duration_seconds },
    "task.finished",
  );
  return result;
}

function fromOutcome(name: string, value: Record<string, unknown> | undefined, error: Error | undefined, duration: number): TaskResult {
  const details = value ?? (error instanceof MaintenanceTaskError ? error.details : {});
  return {
    name,
    success: error === undefined,
    skipped: false,
    skip_reason: null,
    error: error ? error.message : null,
    duration_seconds: duration,
    details,
  };
}
