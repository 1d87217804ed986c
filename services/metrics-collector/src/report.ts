/**
 * What an operator sees of a collection pass: `--once` prints it, /health/detailed embeds the
 * last one. Sections follow the predecessor's one-shot output (redis_stream, db_queue,
 * matview_freshness, candidates, collection_time_ms), plus outbox, archive and locks.
 */
import type { StreamKeys } from "@m10/shared";
import type { Collection, SourceName } from "./collection.js";
import { SOURCES } from "./collection.js";

export interface CollectionReport {
  collected_at: string;
  collection_time_ms: number;
  ok: boolean;
  sources: Record<SourceName, { up: boolean; error?: string }>;
  redis_stream: {
    stream: string;
    group: string;
    dead_letter_stream: string;
    length: number;
    pending: number;
    consumers_registered: number;
    consumers_active: number;
    blocked_readers: number | null;
    reclaimable: number;
    reclaimable_capped: boolean;
    dead_letter_length: number;
  } | null;
  db_queue: { depth: number; stalled: number } | null;
  candidates: { pending: number; unevaluated: number } | null;
  outbox: { pending: number; lag_seconds: number } | null;
  archive: { dead_letter_archive_rows: number; replay_log_rows: number } | null;
  matview_freshness: { view_name: string; last_success_at: string | null; age_seconds: number | null }[] | null;
  locks: { lock_name: string; holder_id: string; expires_at: string }[] | null;
}

export function collectionReport(collection: Collection, keys: StreamKeys): CollectionReport {
  const sources = Object.fromEntries(
    SOURCES.map((source) => {
      const result = collection[source];
      return [source, result.ok ? { up: true } : { up: false, error: result.error.message }];
    }),
  ) as CollectionReport["sources"];
  const redis = collection.redis.ok ? collection.redis.value : undefined;
  const db = collection.postgres.ok ? collection.postgres.value : undefined;
  return {
    collected_at: collection.finishedAt.toISOString(),
    collection_time_ms: Math.round(collection.durationSeconds * 1000),
    ok: collection.redis.ok && collection.postgres.ok,
    sources,
    redis_stream: redis
      ? {
          stream: keys.stream,
          group: keys.group,
          dead_letter_stream: keys.deadLetter,
          length: redis.streamLength,
          pending: redis.pending,
          consumers_registered: redis.consumersRegistered,
          consumers_active: redis.consumersActive,
          blocked_readers: redis.blockedReaders,
          reclaimable: redis.reclaimable,
          reclaimable_capped: redis.reclaimableCapped,
          dead_letter_length: redis.deadLetterLength,
        }
      : null,
    db_queue: db ? { depth: db.backlog.dbQueueDepth, stalled: db.backlog.dbQueueStalled } : null,
    candidates: db ? { pending: db.backlog.candidatesPending, unevaluated: db.backlog.candidatesUnevaluated } : null,
    outbox: db ? { pending: db.backlog.outboxPending, lag_seconds: db.backlog.outboxLagSeconds } : null,
    archive: db ? { dead_letter_archive_rows: db.backlog.deadLetterArchiveRows, replay_log_rows: db.backlog.replayLogRows } : null,
    matview_freshness: db
      ? db.matviews.map((view) => ({
          view_name: view.viewName,
          last_success_at: view.lastSuccessAt?.toISOString() ?? null,
          age_seconds: view.ageSeconds,
        }))
      : null,
    locks: db
      ? db.locks.map((lock) => ({ lock_name: lock.lockName, holder_id: lock.holderId, expires_at: lock.expiresAt.toISOString() }))
      : null,
  };
}
