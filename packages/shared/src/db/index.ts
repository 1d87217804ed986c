// The database: the pool, transactions, and one module per SQL concern.
export {
  ACTION_COLUMNS,
  actionWithTenantStats,
  type ActionRow,
  type ActorType,
  type CandidateFilter,
  candidateInputs,
  candidateProvenance,
  type CandidateRow,
  candidateStats,
  type Decision,
  type DecisionInput,
  EXECUTION_STATUSES,
  type ExecutionOutcomeInput,
  findCandidatesByIdempotencyKeys,
  getCandidate,
  isIdempotencyKeyTaken,
  isRowRaceError,
  type IngestedCandidate,
  type IngestedCandidateGroup,
  type InputRow,
  listCandidates,
  OtherTenantsFailureError,
  type Page,
  type ProvenanceRow,
  recordExecutionOutcome,
  selectedAction,
  type IngestUpsertResult,
  upsertDistinctIngestedCandidates,
  upsertIngestedCandidate,
  upsertIngestedCandidates,
} from "./candidates.js";
export { type ArchivedDeadLetter, archiveDeadLetter } from "./dead-letters.js";
export { isDatabaseUnavailable } from "./errors.js";
export {
  clearExpiredEvaluationLeases,
  countExpiredEvaluationLeases,
  countUnevaluatedCandidates,
  findUnqueuedCandidates,
} from "./evaluation-state.js";
export {
  type ActiveLock,
  type BacklogGauges,
  readActiveLocks,
  readBacklogGauges,
  readMatviewFreshness,
  readMaintenanceTaskRuns,
  type MaintenanceTaskRuns,
  type MatviewSuccessAge,
} from "./gauges.js";
export { healthCheckCounts, type HealthCheckCounts } from "./health-check.js";
export {
  acquireLock,
  cleanupExpiredLocks,
  extendLock,
  listLocks,
  lockHolder,
  type LockRow,
  releaseLock,
} from "./locks.js";
export {
  matviewFreshness,
  type MatviewFreshness,
  matviewRowCount,
  recentRefreshes,
  refreshTracked,
  TRACKED_MATVIEWS,
  type TrackedMatview,
} from "./matviews.js";
export { cleanupExpiredPins, deletePin, getPin, listPins, type PinRow, upsertPin } from "./memory-pins.js";
export {
  claimOutboxEvents,
  completeDeliveredOutboxEvents,
  completeOutboxEvent,
  DEAD_LETTER_PROCESSOR,
  deadLetterOutboxEvent,
  extendOutboxLeases,
  outboxEventAgeSeconds,
  type OutboxDeadLetterReason,
  type OutboxEvent,
  outboxEventsInRetry,
  outboxEventState,
  type OutboxEventState,
  outboxHealthCounts,
  type OutboxHealthCounts,
  outboxLagSeconds,
  outboxStatusOverview,
  outboxTotals,
  recentOutboxFailures,
  releaseOutboxClaims,
  resetStuckOutboxEvents,
  retryOutboxEvent,
} from "./outbox.js";
export { createPool, databaseAnswers, type Pool, type Queryable } from "./pool.js";
export { insertRbacAuditEntries, type RbacAuditEntry } from "./rbac-audit.js";
export {
  ARCHIVE_JOBS,
  archiveBatch,
  type ArchiveJobName,
  type ArchivePartition,
  type BatchResult,
  countArchivable,
  countArchivableCandidates,
  countPurgeable,
  dropExpiredPartitions,
  ensureArchivePartitions,
  expiredArchivePartitions,
  listRetentionJobs,
  PURGE_JOBS,
  purgeBatch,
  type PurgeJobName,
  recordRetentionRun,
} from "./retention.js";
export { TransactionCancelledError, withTransaction } from "./transaction.js";
export {
  claimWork,
  completeWork,
  completeWorkMany,
  markWorkDeadLettered,
  releaseStalledWork,
  releaseWorkClaims,
  type WorkItem,
  workQueueDepth,
} from "./work-queue.js";
export { listenForNotifications, type NotificationListener } from "./notifications.js";
export {
  listOutboxEvents,
  type OutboxListRow,
  OUTBOX_STATES,
  type OutboxState,
  type OutboxTypeSummary,
  outboxTypeSummary,
} from "./outbox-views.js";
export { type PipelineRates, readPipelineRates } from "./pipeline-rates.js";
