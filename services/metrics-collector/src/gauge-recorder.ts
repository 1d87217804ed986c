/**
 * Writes a collection pass into the catalogue's gauges, with the catalogue's meaning:
 * - Redis gauges drop to 0 when Redis cannot be read (the predecessor's behaviour, and what
 *   M10NoStreamConsumers relies on to page while the stream is unreachable);
 * - database gauges keep their last value when PostgreSQL cannot be read;
 * - either failure sets m10_dependency_up{dependency} to 0 and counts a collection error;
 * - m10_last_collection_timestamp_seconds moves when the pass read at least one source.
 */
import type { ServiceMetrics } from "@m10/shared";
import type { Collection } from "./collection.js";
import type { DatabaseGauges } from "./postgres-source.js";
import type { StreamGauges } from "./redis-source.js";

export type CollectorMetrics = ServiceMetrics<"metrics-collector">;

export interface GaugeRecorder {
  record(collection: Collection): void;
}

export function createGaugeRecorder(metrics: CollectorMetrics): GaugeRecorder {
  // The DB fallback backlog last read, for m10_queue_depth while PostgreSQL is unreachable.
  let lastDbQueueDepth: number | undefined;

  const recordStream = (stream: StreamGauges | undefined) => {
    metrics.recoveryStreamLength.set(stream?.streamLength ?? 0);
    metrics.recoveryStreamPending.set(stream?.pending ?? 0);
    metrics.recoveryStreamConsumers.set(stream?.consumersActive ?? 0);
    metrics.m10ConsumerCount.set(stream?.consumersActive ?? 0);
    metrics.m10ReclaimCount.set(stream?.reclaimable ?? 0);
    metrics.recoveryDeadLetterLength.set(stream?.deadLetterLength ?? 0);
    // Labelled by group, so it has no series while Redis is unreachable (a 0 would read as "no lag").
    metrics.recoveryConsumerLagSeconds.reset();
    if (stream) metrics.recoveryConsumerLagSeconds.set({ consumer_group: stream.consumerGroup }, stream.lagSeconds);
  };

  // The orchestrator's task runs from the database: the same series in timer and --every mode.
  const recordTaskRuns = (tasks: DatabaseGauges["tasks"]) => {
    for (const task of tasks) {
      const labels = { task: task.task };
      if (task.lastFinishedAt) metrics.m10OrchestratorTaskLastRunTimestampSeconds.set(labels, task.lastFinishedAt.getTime() / 1000);
      if (task.lastSuccessAt) metrics.m10OrchestratorTaskLastSuccessTimestampSeconds.set(labels, task.lastSuccessAt.getTime() / 1000);
      if (task.lastDurationSeconds !== null) metrics.m10OrchestratorTaskLastDurationSeconds.set(labels, task.lastDurationSeconds);
      if (task.lastResult) metrics.m10OrchestratorTaskLastSuccess.set(labels, task.lastResult === "success" ? 1 : 0);
      for (const [result, runs] of Object.entries(task.runs)) metrics.m10OrchestratorTaskRunsRecorded.set({ ...labels, result }, runs);
      for (const [figure, value] of Object.entries(task.lastFigures)) metrics.m10OrchestratorTaskLastFigure.set({ ...labels, figure }, value);
      for (const [figure, value] of Object.entries(task.figuresRecorded)) metrics.m10OrchestratorTaskFigureRecorded.set({ ...labels, figure }, value);
    }
  };

  const recordDatabase = (db: DatabaseGauges) => {
    const { backlog } = db;
    lastDbQueueDepth = backlog.dbQueueDepth;
    metrics.recoveryDbQueueDepth.set(backlog.dbQueueDepth);
    metrics.recoveryDbQueueStalled.set(backlog.dbQueueStalled);
    metrics.recoveryCandidatesPending.set(backlog.candidatesPending);
    metrics.recoveryEvaluationQueueDepth.set(backlog.candidatesUnevaluated);
    metrics.m10OutboxPending.set(backlog.outboxPending);
    metrics.m10OutboxLagSeconds.set(backlog.outboxLagSeconds);
    metrics.m10ArchiveSize.set(backlog.deadLetterArchiveRows);
    metrics.m10DeadLetterCount.set(backlog.deadLetterArchiveRows);
    metrics.m10ReplayLogSize.set(backlog.replayLogRows);
    metrics.m10ReplayLogCount.set(backlog.replayLogRows);

    // Views and locks that disappeared must lose their series, so rebuild the labelled gauges.
    metrics.recoveryMatviewAgeSeconds.reset();
    metrics.recoveryMatviewLastRefreshTimestamp.reset();
    let oldest = 0;
    for (const view of db.matviews) {
      // Never refreshed successfully: infinitely stale, so M10MatviewVeryStale can fire; there is
      // no refresh time to export.
      const age = view.ageSeconds ?? Number.POSITIVE_INFINITY;
      metrics.recoveryMatviewAgeSeconds.set({ view_name: view.viewName }, age);
      if (view.lastSuccessAt) metrics.recoveryMatviewLastRefreshTimestamp.set({ view_name: view.viewName }, view.lastSuccessAt.getTime() / 1000);
      oldest = Math.max(oldest, age);
    }
    metrics.m10MatviewAgeSeconds.set(oldest);

    metrics.m10LockActive.reset();
    for (const lock of db.locks) metrics.m10LockActive.set({ lock_name: lock.lockName }, 1);

    recordTaskRuns(db.tasks);
  };

  return {
    record(collection) {
      if (collection.redis.ok) {
        recordStream(collection.redis.value);
        metrics.m10DependencyUp.set({ dependency: "redis" }, 1);
      } else {
        recordStream(undefined);
        metrics.m10DependencyUp.set({ dependency: "redis" }, 0);
        metrics.m10CollectionErrorsTotal.inc({ source: "redis" });
      }

      if (collection.postgres.ok) {
        recordDatabase(collection.postgres.value);
        metrics.m10DependencyUp.set({ dependency: "postgres" }, 1);
      } else {
        metrics.m10DependencyUp.set({ dependency: "postgres" }, 0);
        metrics.m10CollectionErrorsTotal.inc({ source: "postgres" });
      }

      if (lastDbQueueDepth !== undefined) {
        const streamLength = collection.redis.ok ? collection.redis.value.streamLength : 0;
        metrics.m10QueueDepth.set(streamLength + lastDbQueueDepth);
      }

      metrics.m10CollectionDurationSeconds.observe(collection.durationSeconds);
      // A pass that read nothing refreshed nothing: leave the timestamp alone so that
      // M10MetricsCollectorDown reports every gauge as stale.
      if (collection.redis.ok || collection.postgres.ok) {
        const finished = collection.finishedAt.getTime() / 1000;
        metrics.m10LastCollectionTimestampSeconds.set(finished);
        metrics.m10LastCollectionTimestamp.set(finished);
      }
    },
  };
}
