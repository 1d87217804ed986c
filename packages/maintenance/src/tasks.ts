// The orchestrator's task names, their aliases (the runbooks spell two of them differently) and
// the default order (the Production Handbook's, with pending_sweep last so that it sees the
// evaluation leases reclaim_gc has just cleared).

export const TASK_NAMES = ["dl_reconcile", "matview_refresh", "outbox_process", "retention", "reclaim_gc", "pending_sweep"] as const;

export type TaskName = (typeof TASK_NAMES)[number];

/** The Recovery Operations Runbook's short names. */
export const TASK_ALIASES: Readonly<Record<string, TaskName>> = {
  matview: "matview_refresh",
  outbox: "outbox_process",
};

export class UnknownTaskError extends Error {
  constructor(readonly names: string[]) {
    super(
      `unknown task${names.length > 1 ? "s" : ""}: ${names.join(", ")} (expected ${TASK_NAMES.join(", ")}; aliases ${Object.keys(TASK_ALIASES).join(", ")})`,
    );
    this.name = "UnknownTaskError";
  }
}

export function isTaskName(name: string): name is TaskName {
  return (TASK_NAMES as readonly string[]).includes(name);
}

/**
 * Parses `--tasks a,b`: names or aliases, comma-separated, in the caller's order, duplicates
 * dropped. Undefined or empty means every task in the default order. Unknown names are all
 * reported at once, before anything runs.
 */
export function parseTaskList(value: string | undefined): TaskName[] {
  if (value === undefined || value.trim() === "" || value.trim() === "all") return [...TASK_NAMES];
  const resolved: TaskName[] = [];
  const unknown: string[] = [];
  for (const raw of value.split(",")) {
    const name = raw.trim();
    if (name === "") continue;
    const task = isTaskName(name) ? name : TASK_ALIASES[name];
    if (!task) unknown.push(name);
    else if (!resolved.includes(task)) resolved.push(task);
  }
  if (unknown.length > 0) throw new UnknownTaskError(unknown);
  return resolved;
}
