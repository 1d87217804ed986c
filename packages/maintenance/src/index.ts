// @m10/maintenance: the orchestrator's six tasks, each run under a lock in
// m10_recovery.distributed_locks that m10ctl's matching command shares, and the runner that
// holds those locks (extension, timeouts, stop requests).
export { TASK_ALIASES, TASK_NAMES, parseTaskList, type TaskName } from "./tasks.js";
export { lockTtlSeconds, ORCHESTRATOR_LEADER_LOCK, TASK_LOCKS } from "./locks.js";
export { describeHolder, runExclusive, type LockObserver } from "./runner.js";
export { MaintenanceTaskError, runMaintenanceTask, type TaskResult } from "./task-run.js";
export { refreshStaleMatviews } from "./matview-refresh.js";
export { createOutboxTask, type OutboxTask } from "./outbox-process.js";
export { runRetention, RETENTION_JOB_NAMES, type RetentionJobResult } from "./retention.js";
export { reclaimGarbage } from "./reclaim-gc.js";
export { standaloneTaskBodies, type StandaloneTaskName, type TaskBody, type TaskBodyWiring } from "./task-bodies.js";
