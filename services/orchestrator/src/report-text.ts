// The human-readable form of a run report (without --json).
import type { TaskResult } from "@m10/maintenance";
import type { RunReport } from "./run.js";

function summary(details: Record<string, unknown>): string {
  return Object.entries(details)
    .filter(([, value]) => value === null || ["number", "string", "boolean"].includes(typeof value))
    .map(([key, value]) => `${key}=${String(value)}`)
    .join(" ");
}

function line(task: TaskResult, width: number): string {
  const name = task.name.padEnd(width);
  if (task.skipped) return `  ${name}  skipped  ${task.skip_reason ?? ""}`;
  const status = task.success ? "ok     " : "FAILED ";
  const tail = task.success ? summary(task.details) : `${task.error ?? "failed"}`;
  return `  ${name}  ${status}  ${task.duration_seconds.toFixed(3)}s  ${tail}`;
}

export function formatReport(report: RunReport): string {
  const width = Math.max(...report.tasks.map((task) => task.name.length), 4);
  const head = `m10-orchestrator ${report.dry_run ? "dry run" : "run"} at ${report.timestamp} by ${report.holder}`;
  const foot = `${report.tasks_succeeded} succeeded, ${report.tasks_failed} failed, ${report.tasks_skipped} skipped in ${report.durations.total_seconds ?? 0}s`;
  return [head, ...report.tasks.map((task) => line(task, width)), foot].join("\n");
}
