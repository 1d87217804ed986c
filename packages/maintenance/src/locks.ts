// Lock names in m10_recovery.distributed_locks. A maintenance task and the m10ctl command that
// does the same job use the same name, so they never run at the same time (docs/architecture.md §2 promise 6).
import type { TaskName } from "./tasks.js";

/** The whole orchestrator run: one leader at a time, the others report every task skipped. */
export const ORCHESTRATOR_LEADER_LOCK = "m10:orchestrator";

export const TASK_LOCKS: Readonly<Record<TaskName, string>> = {
  // Also taken by `m10ctl dlq replay --all` (both rewrite the dead-letter stream).
  dl_reconcile: "m10:reconcile_dl",
  // Also taken by `m10ctl matview refresh`.
  matview_refresh: "m10:matview:mv_top_pending",
  // One orchestrator batch at a time; the outbox-processor service needs no lock (row leases).
  outbox_process: "m10:outbox_process",
  // Also taken by `m10ctl retention`.
  retention: "m10:retention_cleanup",
  // Also taken by `m10ctl queue claim-stalled`.
  reclaim_gc: "m10:reclaim_gc",
  pending_sweep: "m10:pending_sweep",
};

/** A lock outlives its task's timeout, so a holder that dies mid-task blocks others for at most timeout + margin. */
export function lockTtlSeconds(timeoutSeconds: number, marginSeconds: number): number {
  return Math.ceil(timeoutSeconds) + Math.max(1, Math.ceil(marginSeconds));
}
