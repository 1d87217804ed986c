/**
 * THE metrics catalogue: every metric M10 exports, in one place.
 *
 * Names are the predecessor's, kept on purpose (docs/architecture.md §4.5): the alert
 * rules in `infra/prometheus/m10_recovery_alerts.yml`, the Grafana dashboard and the runbooks use
 * them verbatim, and `test/metrics-catalogue.test.ts` fails if either uses a name that is not here.
 *
 * `services` lists the processes that write a metric. `createMetrics(service)` registers a metric
 * only in those services, because a metric that nothing writes is a bug (it exports a flat 0 and
 * makes alerts look healthy). `m10ctl` is a short-lived command: what it records is visible only
 * while it runs (e.g. `--json` summaries); nothing scrapes it.
 *
 * `labelValues` documents the known values of a label. When every label of a metric has known
 * values, `createMetrics` zero-initialises all combinations so that `rate()` and `unless`
 * expressions see the series before the first event.
 */

// The Redis names in help strings: each is configured (docs/scaling.md), so the help says which
// setting names it and both of its defaults rather than one literal key.
const EVALUATION_STREAM = "the evaluation stream (M10_STREAM_KEY, default <M10_REDIS_KEY_PREFIX>evaluate:stream: m10:evaluate:stream, {m10}:evaluate:stream on a Redis Cluster)";
const DEAD_LETTER_STREAM = "the dead-letter stream (M10_DEAD_LETTER_STREAM, default <M10_REDIS_KEY_PREFIX>evaluate:dead-letter: m10:evaluate:dead-letter, {m10}:evaluate:dead-letter on a Redis Cluster)";
const CONSUMER_GROUP = "the consumer group (M10_CONSUMER_GROUP, default m10:evaluate:group, a name and not a key, so the same on a Redis Cluster)";

export const SERVICES = [
  "ingest",
  "claim-worker",
  "outbox-processor",
  "orchestrator",
  "metrics-collector",
  "m10ctl",
  "console",
] as const;

export type ServiceName = (typeof SERVICES)[number];

export type MetricKind = "counter" | "gauge" | "histogram";

export interface MetricSpec {
  readonly name: string;
  readonly kind: MetricKind;
  readonly help: string;
  readonly labelNames: readonly string[];
  readonly labelValues?: Readonly<Record<string, readonly string[]>>;
  /** Histograms only. */
  readonly buckets?: readonly number[];
  readonly services: readonly ServiceName[];
}

/** Seconds; for fast in-process operations (ingest requests, single evaluations). */
const FAST_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5] as const;

const QUEUE_SOURCES = ["redis_stream", "db_queue"] as const;

const ORCHESTRATOR_TASKS = [
  "dl_reconcile",
  "matview_refresh",
  "outbox_process",
  "retention",
  "reclaim_gc",
  "pending_sweep",
] as const;

export const METRICS = {
  // ---------------------------------------------------------------- every service
  m10BuildInfo: {
    name: "m10_build_info",
    kind: "gauge",
    help: "Always 1: the running binary's release version, source revision (M10_REVISION) and Node version, as labels.",
    labelNames: ["version", "revision", "node_version"],
    services: ["ingest", "claim-worker", "outbox-processor", "orchestrator", "metrics-collector", "console"],
  },

  // ---------------------------------------------------------------- ingest (HTTP API)
  recoveryIngestTotal: {
    name: "recovery_ingest_total",
    kind: "counter",
    help: "Ingest requests by outcome (accepted, duplicate, error) and failure source (body `source`, default api).",
    labelNames: ["status", "source"],
    labelValues: { status: ["accepted", "duplicate", "error"] },
    services: ["ingest"],
  },
  recoveryIngestLatencySeconds: {
    name: "recovery_ingest_latency_seconds",
    kind: "histogram",
    help: "Ingest request handling time in seconds, by outcome (accepted, duplicate, error).",
    labelNames: ["status"],
    labelValues: { status: ["accepted", "duplicate", "error"] },
    buckets: FAST_SECONDS,
    services: ["ingest"],
  },
  recoveryIngestDuplicatesTotal: {
    name: "recovery_ingest_duplicates_total",
    kind: "counter",
    help: "Duplicate ingests by how they were detected (upsert_conflict, idempotency_key).",
    labelNames: ["detection_method"],
    labelValues: { detection_method: ["upsert_conflict", "idempotency_key"] },
    services: ["ingest"],
  },
  recoveryIngestEnqueueTotal: {
    name: "recovery_ingest_enqueue_total",
    kind: "counter",
    help: "Evaluation enqueues after ingest: success (Redis stream), db_fallback (work_queue while Redis is down), failed, skipped (enqueue_evaluation=false).",
    labelNames: ["status"],
    labelValues: { status: ["success", "db_fallback", "failed", "skipped"] },
    services: ["ingest"],
  },
  recoveryApprovalsTotal: {
    name: "recovery_approvals_total",
    kind: "counter",
    help: "Human review decisions recorded through POST /api/v1/recovery/approve or the operator console (approved, rejected).",
    labelNames: ["decision"],
    labelValues: { decision: ["approved", "rejected"] },
    services: ["ingest", "console"],
  },
  memoryPinsOperationsTotal: {
    name: "memory_pins_operations_total",
    kind: "counter",
    help: "Memory pin API operations (upsert, get, list, delete, cleanup) by result (success, error, not_found).",
    labelNames: ["operation", "status"],
    labelValues: {
      operation: ["upsert", "get", "list", "delete", "cleanup"],
      status: ["success", "error", "not_found"],
    },
    services: ["ingest"],
  },
  memoryPinsLatencySeconds: {
    name: "memory_pins_latency_seconds",
    kind: "histogram",
    help: "Memory pin API operation time in seconds.",
    labelNames: ["operation"],
    labelValues: { operation: ["upsert", "get", "list", "delete", "cleanup"] },
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    services: ["ingest"],
  },
  rbacDecisionsTotal: {
    name: "rbac_decisions_total",
    kind: "counter",
    help: "RBAC decisions by resource and action of the required permission, decision (allowed, denied) and reason (e.g. no_credentials, unknown_token, missing_permission).",
    labelNames: ["resource", "action", "decision", "reason"],
    services: ["ingest"],
  },
  m10RbacAuditDroppedTotal: {
    name: "m10_rbac_audit_dropped_total",
    kind: "counter",
    help: "Authorization decisions not written to system.rbac_audit: the bounded audit buffer was full, or a batch write failed.",
    labelNames: ["cause"],
    labelValues: { cause: ["buffer_full", "write_failed"] },
    services: ["ingest"],
  },
  m10RateLimitBlockedTotal: {
    name: "m10_rate_limit_blocked_total",
    kind: "counter",
    help: "Requests refused with 429 by the per-tenant rate limit, by route group.",
    labelNames: ["route_group"],
    services: ["ingest"],
  },
  m10RateLimitFailOpenTotal: {
    name: "m10_rate_limit_fail_open_total",
    kind: "counter",
    help: "Requests let through without a rate-limit check because the Redis store failed (fail-open), by route group.",
    labelNames: ["route_group"],
    services: ["ingest"],
  },

  // ---------------------------------------------------------------- claim worker
  recoveryWorkerClaimedTotal: {
    name: "recovery_worker_claimed_total",
    kind: "counter",
    help: "Queue entries claimed for evaluation, by queue (redis_stream, db_queue). M10WorkerNoActivity alerts when this stops moving while there is a backlog.",
    labelNames: ["source"],
    labelValues: { source: QUEUE_SOURCES },
    services: ["claim-worker"],
  },
  recoveryWorkerProcessedTotal: {
    name: "recovery_worker_processed_total",
    kind: "counter",
    help: "Claimed entries finished, by result (success; failed; skipped = candidate gone or already evaluated, acknowledged without evaluation) and queue.",
    labelNames: ["status", "source"],
    labelValues: { status: ["success", "failed", "skipped"], source: QUEUE_SOURCES },
    services: ["claim-worker"],
  },
  recoveryWorkerProcessingSeconds: {
    name: "recovery_worker_processing_seconds",
    kind: "histogram",
    help: "Time in seconds from claiming a queue entry to committing (or failing) its evaluation.",
    labelNames: [],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    services: ["claim-worker"],
  },
  recoveryDeadLetterAddedTotal: {
    name: "recovery_dead_letter_added_total",
    kind: "counter",
    help: `Stream entries moved to ${DEAD_LETTER_STREAM}, by reason (e.g. max_reclaim_attempts, invalid_message).`,
    labelNames: ["reason"],
    // Pre-created at 0, so M10DeadLetterFirstInWindow's increase() sees a process's first dead letter.
    labelValues: { reason: ["max_reclaim_attempts", "invalid_message"] },
    services: ["claim-worker"],
  },
  recoverySuggestionsTotal: {
    name: "recovery_suggestions_total",
    kind: "counter",
    help: "Recovery suggestions recorded, by origin of the input (candidate source) and resulting decision.",
    labelNames: ["source", "decision"],
    services: ["claim-worker"],
  },
  recoverySuggestionsLatencySeconds: {
    name: "recovery_suggestions_latency_seconds",
    kind: "histogram",
    help: "Time in seconds to compute one suggestion (rule engine + action lookup), excluding queue wait.",
    labelNames: [],
    buckets: FAST_SECONDS,
    services: ["claim-worker"],
  },

  // ---------------------------------------------------------------- dead letters and archive (several writers)
  recoveryDeadLetterReplayedTotal: {
    name: "recovery_dead_letter_replayed_total",
    kind: "counter",
    help: `Dead-letter entries replayed onto ${EVALUATION_STREAM} (first replay only; record_replay makes repeats no-ops).`,
    labelNames: [],
    services: ["m10ctl", "console"],
  },
  m10ArchiveTotal: {
    name: "m10_archive_total",
    kind: "counter",
    help: "Rows written to m10_recovery.dead_letter_archive, by source (dead_letter = worker move, outbox = outbox dead letter, stream_trim = dl_reconcile trim, manual, replay_skip).",
    labelNames: ["source"],
    services: ["claim-worker", "outbox-processor", "orchestrator", "m10ctl", "console"],
  },

  // ---------------------------------------------------------------- outbox
  m10OutboxPublishedTotal: {
    name: "m10_outbox_published_total",
    kind: "counter",
    help: "Events written to m10_recovery.outbox (in the transaction of the state change), by aggregate and event type.",
    labelNames: ["aggregate_type", "event_type"],
    services: ["claim-worker", "ingest", "m10ctl", "console"],
  },
  m10OutboxClaimedTotal: {
    name: "m10_outbox_claimed_total",
    kind: "counter",
    help: "Outbox events claimed (leased) for delivery.",
    labelNames: [],
    services: ["outbox-processor", "orchestrator"],
  },
  m10OutboxProcessedTotal: {
    name: "m10_outbox_processed_total",
    kind: "counter",
    help: "Outbox events delivered successfully, by aggregate and event type.",
    labelNames: ["aggregate_type", "event_type"],
    services: ["outbox-processor", "orchestrator"],
  },
  m10OutboxFailedTotal: {
    name: "m10_outbox_failed_total",
    kind: "counter",
    help: "Outbox delivery attempts that failed (retried later or dead-lettered), by aggregate and event type.",
    labelNames: ["aggregate_type", "event_type"],
    services: ["outbox-processor", "orchestrator"],
  },
  m10OutboxProcessingSeconds: {
    name: "m10_outbox_processing_seconds",
    kind: "histogram",
    help: "Time in seconds of one delivery attempt (including throttle wait), by event type.",
    labelNames: ["event_type"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    services: ["outbox-processor", "orchestrator"],
  },
  m10OutboxRetryCount: {
    name: "m10_outbox_retry_count",
    kind: "histogram",
    help: "Failed attempts an outbox event had before it was delivered or dead-lettered.",
    labelNames: [],
    buckets: [0, 1, 2, 3, 4, 5],
    services: ["outbox-processor", "orchestrator"],
  },
  m10OutboxThrottleWaitsTotal: {
    name: "m10_outbox_throttle_waits_total",
    kind: "counter",
    help: "Deliveries that had to wait for the per-target throttle, by target (webhook, slack, email, nats, or a named target).",
    labelNames: ["target"],
    services: ["outbox-processor", "orchestrator"],
  },
  m10OutboxThrottleWaitSeconds: {
    name: "m10_outbox_throttle_wait_seconds",
    kind: "histogram",
    help: "Time in seconds a delivery waited for the per-target throttle, by target.",
    labelNames: ["target"],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    services: ["outbox-processor", "orchestrator"],
  },
  m10OutboxDeadLetteredTotal: {
    name: "m10_outbox_dead_lettered_total",
    kind: "counter",
    help: "Outbox events dead-lettered, by event type and reason (outbox_retry_budget_exhausted, outbox_max_retries, outbox_permanent_failure).",
    labelNames: ["event_type", "reason"],
    services: ["outbox-processor", "orchestrator"],
  },
  m10OutboxLeaseLostTotal: {
    name: "m10_outbox_lease_lost_total",
    kind: "counter",
    help: "Outbox completions refused because the processor no longer held the event's lease (it expired and another processor took the event over).",
    labelNames: [],
    services: ["outbox-processor", "orchestrator"],
  },
  m10OutboxCircuitState: {
    name: "m10_outbox_circuit_state",
    kind: "gauge",
    help: "Circuit breaker of a delivery target in this process: 0 closed, 1 open (target disabled after more than OUTBOX_CIRCUIT_ERRORS_PER_MINUTE failures in a minute, at least OUTBOX_CIRCUIT_MIN_FAILURE_RATIO of its attempts), 2 half-open (one trial delivery).",
    labelNames: ["target"],
    services: ["outbox-processor", "orchestrator"],
  },
  m10OutboxCircuitOpenedTotal: {
    name: "m10_outbox_circuit_opened_total",
    kind: "counter",
    help: "Times a delivery target's circuit breaker opened (the target was disabled), by target.",
    labelNames: ["target"],
    services: ["outbox-processor", "orchestrator"],
  },

  // ---------------------------------------------------------------- orchestrator (maintenance tasks, locks)
  m10LockAcquiredTotal: {
    name: "m10_lock_acquired_total",
    kind: "counter",
    help: "Successful m10_recovery.acquire_lock calls, by lock name.",
    labelNames: ["lock_name"],
    services: ["orchestrator"],
  },
  m10LockFailedTotal: {
    name: "m10_lock_failed_total",
    kind: "counter",
    help: "acquire_lock calls refused because another holder has the lock (contention), by lock name.",
    labelNames: ["lock_name"],
    services: ["orchestrator"],
  },
  m10LockReleasedTotal: {
    name: "m10_lock_released_total",
    kind: "counter",
    help: "Locks released by their holder, by lock name.",
    labelNames: ["lock_name"],
    services: ["orchestrator"],
  },
  m10LockDurationSeconds: {
    name: "m10_lock_duration_seconds",
    kind: "histogram",
    help: "Time in seconds a lock was held (acquire to release), by lock name.",
    labelNames: ["lock_name"],
    buckets: [0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600, 1800],
    services: ["orchestrator"],
  },
  recoveryMatviewRefreshTotal: {
    name: "recovery_matview_refresh_total",
    kind: "counter",
    help: "Materialized view refreshes attempted, by view and result (success, failed, fresh = not needed, lock_held).",
    labelNames: ["view_name", "status"],
    services: ["orchestrator"],
  },
  recoveryMatviewRefreshDurationSeconds: {
    name: "recovery_matview_refresh_duration_seconds",
    kind: "histogram",
    help: "Time in seconds of REFRESH MATERIALIZED VIEW CONCURRENTLY, by view.",
    labelNames: ["view_name"],
    buckets: [0.1, 0.5, 1, 5, 10, 30, 60, 120, 300],
    services: ["orchestrator"],
  },
  m10ArchiveRetentionDeletedTotal: {
    name: "m10_archive_retention_deleted_total",
    kind: "counter",
    help: "dead_letter_archive rows deleted by the retention task.",
    labelNames: [],
    services: ["orchestrator"],
  },
  m10ReplayLogRetentionDeletedTotal: {
    name: "m10_replay_log_retention_deleted_total",
    kind: "counter",
    help: "replay_log rows deleted by the retention task.",
    labelNames: [],
    services: ["orchestrator"],
  },
  m10ReclaimGcCheckedTotal: {
    name: "m10_reclaim_gc_checked_total",
    kind: "counter",
    help: "Expired locks, stalled work_queue claims and expired evaluation leases found by reclaim_gc.",
    labelNames: [],
    services: ["orchestrator"],
  },
  m10ReclaimGcCleanedTotal: {
    name: "m10_reclaim_gc_cleaned_total",
    kind: "counter",
    help: "Expired locks, stalled work_queue claims and expired evaluation leases released by reclaim_gc.",
    labelNames: [],
    services: ["orchestrator"],
  },
  recoveryPendingSweepRequeuedTotal: {
    name: "recovery_pending_sweep_requeued_total",
    kind: "counter",
    help: "Candidates committed but never evaluated that pending_sweep re-enqueued.",
    labelNames: [],
    services: ["orchestrator"],
  },
  m10OrchestratorTaskRunsTotal: {
    name: "m10_orchestrator_task_runs_total",
    kind: "counter",
    help: "Maintenance task runs by task and result (success, failed, skipped = lock held elsewhere).",
    labelNames: ["task", "result"],
    labelValues: { task: ORCHESTRATOR_TASKS, result: ["success", "failed", "skipped"] },
    services: ["orchestrator"],
  },
  m10OrchestratorTaskDurationSeconds: {
    name: "m10_orchestrator_task_duration_seconds",
    kind: "histogram",
    help: "Maintenance task run time in seconds, by task.",
    labelNames: ["task"],
    labelValues: { task: ORCHESTRATOR_TASKS },
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600, 1800],
    services: ["orchestrator"],
  },

  // ---------------------------------------------------------------- metrics collector (DB + Redis state, every M10_METRICS_INTERVAL)
  m10OrchestratorTaskLastRunTimestampSeconds: {
    name: "m10_orchestrator_task_last_run_timestamp_seconds",
    kind: "gauge",
    help: "Unix time the last run of a maintenance task that was not skipped finished (m10_recovery.maintenance_task_runs, written by the timer's oneshot and the --every loop alike), by task.",
    labelNames: ["task"],
    services: ["metrics-collector"],
  },
  m10OrchestratorTaskLastSuccessTimestampSeconds: {
    name: "m10_orchestrator_task_last_success_timestamp_seconds",
    kind: "gauge",
    help: "Unix time the last successful run of a maintenance task finished, by task (no series before its first success).",
    labelNames: ["task"],
    services: ["metrics-collector"],
  },
  m10OrchestratorTaskLastDurationSeconds: {
    name: "m10_orchestrator_task_last_duration_seconds",
    kind: "gauge",
    help: "Run time in seconds of the last run of a maintenance task that was not skipped, by task.",
    labelNames: ["task"],
    services: ["metrics-collector"],
  },
  m10OrchestratorTaskLastSuccess: {
    name: "m10_orchestrator_task_last_success",
    kind: "gauge",
    help: "1 when the last run of a maintenance task that was not skipped succeeded, 0 when it failed, by task.",
    labelNames: ["task"],
    services: ["metrics-collector"],
  },
  m10OrchestratorTaskRunsRecorded: {
    name: "m10_orchestrator_task_runs_recorded",
    kind: "gauge",
    help: "Maintenance task runs recorded in the database since it was created, by task and result (success, failed, skipped); only grows, so increase() works on it in both orchestrator modes.",
    labelNames: ["task", "result"],
    services: ["metrics-collector"],
  },
  m10OrchestratorTaskLastFigure: {
    name: "m10_orchestrator_task_last_figure",
    kind: "gauge",
    help: "What the last run of a maintenance task that reported it did, by task and figure (e.g. retention dead_letter_archive_purge_deleted, reclaim_gc stalled_work, matview_refresh mv_top_pending_refresh_seconds); from m10_recovery.maintenance_task_runs, so the same in timer and --every mode.",
    labelNames: ["task", "figure"],
    services: ["metrics-collector"],
  },
  m10OrchestratorTaskFigureRecorded: {
    name: "m10_orchestrator_task_figure_recorded",
    kind: "gauge",
    help: "A maintenance task's figure summed over every run recorded in the database, by task and figure (rows deleted, requeued, archived...); only grows, so increase() works on it in both orchestrator modes.",
    labelNames: ["task", "figure"],
    services: ["metrics-collector"],
  },
  recoveryStreamLength: {
    name: "recovery_stream_length",
    kind: "gauge",
    help: `XLEN of ${EVALUATION_STREAM} (includes acknowledged entries not yet trimmed); 0 when Redis is unreachable.`,
    labelNames: [],
    services: ["metrics-collector"],
  },
  recoveryConsumerLagSeconds: {
    name: "recovery_consumer_lag_seconds",
    kind: "gauge",
    help: `Age in seconds of the oldest entry of ${EVALUATION_STREAM} that the consumer group (the consumer_group label) has not acknowledged (pending or not yet delivered); 0 when none. No series while Redis is unreachable. Recorded as the Phase 7 runbook's consumer_lag_seconds.`,
    labelNames: ["consumer_group"],
    services: ["metrics-collector"],
  },
  recoveryStreamPending: {
    name: "recovery_stream_pending",
    kind: "gauge",
    help: `Entries delivered to ${CONSUMER_GROUP} and not yet acknowledged (XPENDING count); 0 when Redis is unreachable.`,
    labelNames: [],
    services: ["metrics-collector"],
  },
  recoveryStreamConsumers: {
    name: "recovery_stream_consumers",
    kind: "gauge",
    help: `Consumers of ${CONSUMER_GROUP} that interacted with the stream within M10_METRICS_CONSUMER_ACTIVE_SECONDS (default 300 s; XINFO CONSUMERS idle); on Redis < 7.2, at least the connections blocked in XREADGROUP right now; 0 when Redis is unreachable.`,
    labelNames: [],
    services: ["metrics-collector"],
  },
  recoveryDeadLetterLength: {
    name: "recovery_dead_letter_length",
    kind: "gauge",
    help: `XLEN of ${DEAD_LETTER_STREAM}; 0 when Redis is unreachable.`,
    labelNames: [],
    services: ["metrics-collector"],
  },
  recoveryDbQueueDepth: {
    name: "recovery_db_queue_depth",
    kind: "gauge",
    help: "m10_recovery.work_queue rows with processed_at IS NULL (DB fallback queue backlog).",
    labelNames: [],
    services: ["metrics-collector"],
  },
  recoveryDbQueueStalled: {
    name: "recovery_db_queue_stalled",
    kind: "gauge",
    help: "work_queue rows claimed, unprocessed and with claimed_at older than 5 minutes.",
    labelNames: [],
    services: ["metrics-collector"],
  },
  recoveryMatviewAgeSeconds: {
    name: "recovery_matview_age_seconds",
    kind: "gauge",
    help: "Seconds since the last successful refresh of a materialized view of m10_recovery (matview_refresh_log), by view; +Inf when it never refreshed successfully.",
    labelNames: ["view_name"],
    services: ["metrics-collector"],
  },
  recoveryMatviewLastRefreshTimestamp: {
    name: "recovery_matview_last_refresh_timestamp",
    kind: "gauge",
    help: "Unix time in seconds of the last successful refresh of a materialized view, by view (no series until one succeeded).",
    labelNames: ["view_name"],
    services: ["metrics-collector"],
  },
  recoveryCandidatesPending: {
    name: "recovery_candidates_pending",
    kind: "gauge",
    help: "recovery_candidates with decision = 'pending' (awaiting human review or auto-decision).",
    labelNames: [],
    services: ["metrics-collector"],
  },
  recoveryEvaluationQueueDepth: {
    name: "recovery_evaluation_queue_depth",
    kind: "gauge",
    help: "recovery_candidates not yet evaluated (evaluated_at IS NULL), whatever queue they are in.",
    labelNames: [],
    services: ["metrics-collector"],
  },
  m10OutboxPending: {
    name: "m10_outbox_pending",
    kind: "gauge",
    help: "m10_recovery.outbox events with processed_at IS NULL, including those waiting for a retry.",
    labelNames: [],
    services: ["metrics-collector"],
  },
  m10OutboxLagSeconds: {
    name: "m10_outbox_lag_seconds",
    kind: "gauge",
    help: "Age in seconds of the oldest unprocessed outbox event (now() - min(created_at)); 0 when none is pending.",
    labelNames: [],
    services: ["metrics-collector"],
  },
  m10ArchiveSize: {
    name: "m10_archive_size",
    kind: "gauge",
    help: "Rows in m10_recovery.dead_letter_archive.",
    labelNames: [],
    services: ["metrics-collector"],
  },
  m10ReplayLogSize: {
    name: "m10_replay_log_size",
    kind: "gauge",
    help: "Rows in m10_recovery.replay_log.",
    labelNames: [],
    services: ["metrics-collector"],
  },
  m10LockActive: {
    name: "m10_lock_active",
    kind: "gauge",
    help: "1 for each unexpired row in m10_recovery.distributed_locks, by lock name (series removed when the lock is gone).",
    labelNames: ["lock_name"],
    services: ["metrics-collector"],
  },
  // Alias gauges the predecessor added for alerts and tests (PIN-061); same values as noted.
  m10QueueDepth: {
    name: "m10_queue_depth",
    kind: "gauge",
    help: "Total evaluation backlog: recovery_stream_length + recovery_db_queue_depth.",
    labelNames: [],
    services: ["metrics-collector"],
  },
  m10DeadLetterCount: {
    name: "m10_dead_letter_count",
    kind: "gauge",
    help: "Rows in m10_recovery.dead_letter_archive (same value as m10_archive_size); used by M10ArchiveGrowthHigh.",
    labelNames: [],
    services: ["metrics-collector"],
  },
  m10ReplayLogCount: {
    name: "m10_replay_log_count",
    kind: "gauge",
    help: "Rows in m10_recovery.replay_log (same value as m10_replay_log_size); used by M10ArchiveGrowthHigh.",
    labelNames: [],
    services: ["metrics-collector"],
  },
  m10MatviewAgeSeconds: {
    name: "m10_matview_age_seconds",
    kind: "gauge",
    help: "Largest recovery_matview_age_seconds over all tracked views.",
    labelNames: [],
    services: ["metrics-collector"],
  },
  m10ConsumerCount: {
    name: "m10_consumer_count",
    kind: "gauge",
    help: "Same value as recovery_stream_consumers.",
    labelNames: [],
    services: ["metrics-collector"],
  },
  m10ReclaimCount: {
    name: "m10_reclaim_count",
    kind: "gauge",
    help: "Pending stream entries idle longer than M10_CLAIM_IDLE_MS, i.e. due for XAUTOCLAIM by a live worker (counted up to M10_METRICS_PENDING_SCAN_LIMIT); 0 when Redis is unreachable.",
    labelNames: [],
    services: ["metrics-collector"],
  },
  m10DependencyUp: {
    name: "m10_dependency_up",
    kind: "gauge",
    help: "1 when the collector's last check reached the dependency (postgres, redis), else 0.",
    labelNames: ["dependency"],
    labelValues: { dependency: ["postgres", "redis"] },
    services: ["metrics-collector"],
  },
  m10CollectionErrorsTotal: {
    name: "m10_collection_errors_total",
    kind: "counter",
    help: "Collection passes in which reading a source failed (PostgreSQL gauges keep their last value, Redis gauges drop to 0), by source.",
    labelNames: ["source"],
    labelValues: { source: ["postgres", "redis"] },
    services: ["metrics-collector"],
  },
  m10CollectionDurationSeconds: {
    name: "m10_collection_duration_seconds",
    kind: "histogram",
    help: "Time in seconds of one collection pass.",
    labelNames: [],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    services: ["metrics-collector"],
  },
  m10LastCollectionTimestampSeconds: {
    name: "m10_last_collection_timestamp_seconds",
    kind: "gauge",
    help: "Unix time in seconds at which the last collection pass that read at least one source (PostgreSQL or Redis) finished; M10MetricsCollectorDown fires when it is older than 120 s.",
    labelNames: [],
    services: ["metrics-collector"],
  },
  m10LastCollectionTimestamp: {
    name: "m10_last_collection_timestamp",
    kind: "gauge",
    help: "Deprecated alias of m10_last_collection_timestamp_seconds (the predecessor's alert name), same value.",
    labelNames: [],
    services: ["metrics-collector"],
  },
} as const satisfies Record<string, MetricSpec>;

export type MetricKey = keyof typeof METRICS;

export type MetricName = (typeof METRICS)[MetricKey]["name"];

/** Every catalogue metric name, e.g. for tests and scrapes. */
export const METRIC_NAMES: readonly MetricName[] = Object.values(METRICS).map((m) => m.name);

/** The catalogue entry for an exported metric name, or undefined. */
export function metricSpecByName(name: string): MetricSpec | undefined {
  return Object.values(METRICS).find((m) => m.name === name);
}

/** The catalogue entries a service writes (and therefore exports on its /metrics). */
export function metricsWrittenBy(service: ServiceName): MetricSpec[] {
  return Object.values(METRICS).filter((m: MetricSpec) => m.services.includes(service));
}
