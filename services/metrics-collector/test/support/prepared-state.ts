/**
 * Known database and stream state for the collector's tests, with the values the gauges must show.
 */
import { createLogger, createPool, createRedisClient, type Pool, type RedisClient, type StreamKeys } from "@m10/shared";

export function testPool(url: string): Pool {
  return createPool(
    { DATABASE_URL: url, M10_DB_POOL_MAX: 2, M10_DB_CONNECT_TIMEOUT_MS: 5_000, M10_DB_STATEMENT_TIMEOUT_MS: 0 },
    createLogger("test", "silent"),
    "metrics-collector-test",
  );
}

/** A client that queues commands until connected (the services' clients fail fast instead). */
export function testRedis(url: string): RedisClient {
  const client = createRedisClient(url, { enableOfflineQueue: true, commandTimeout: 10_000, maxRetriesPerRequest: 3 });
  // Reconnect attempts while a test has stopped the server are expected; commands still fail loudly.
  client.on("error", () => undefined);
  return client;
}

/** The gauge values prepareDatabase produces. */
export const DATABASE_EXPECTED = {
  recovery_db_queue_depth: 3,
  recovery_db_queue_stalled: 1,
  recovery_candidates_pending: 3,
  recovery_evaluation_queue_depth: 3,
  m10_outbox_pending: 3,
  m10_archive_size: 2,
  m10_dead_letter_count: 2,
  m10_replay_log_size: 1,
  m10_replay_log_count: 1,
} as const;

/** Oldest pending outbox event, and last successful mv_top_pending refresh, in seconds ago. */
export const OUTBOX_OLDEST_PENDING_AGE = 400;
export const MATVIEW_LAST_SUCCESS_AGE = 100;
export const LIVE_LOCK = "m10:dl_reconcile";

export async function prepareDatabase(db: Pool): Promise<void> {
  await db.query(`
    INSERT INTO public.recovery_candidates (failure_match_id, suggestion, confidence, decision, evaluated_at) VALUES
      (gen_random_uuid(), 'retry', 0.2, 'pending', NULL),
      (gen_random_uuid(), 'retry', 0.2, 'pending', NULL),
      (gen_random_uuid(), 'retry', 0.5, 'pending', now()),
      (gen_random_uuid(), 'retry', 0.9, 'approved', now()),
      (gen_random_uuid(), 'retry', 0.9, 'rejected', NULL);

    INSERT INTO m10_recovery.work_queue (candidate_id, claimed_at, claimed_by, processed_at) VALUES
      (101, NULL, NULL, NULL),
      (102, now() - interval '10 minutes', 'worker-a', NULL),
      (103, now() - interval '1 minute', 'worker-a', NULL),
      (104, now() - interval '20 minutes', 'worker-a', now() - interval '15 minutes');

    INSERT INTO m10_recovery.outbox (aggregate_type, aggregate_id, event_type, payload, created_at) VALUES
      ('recovery_candidate', '1', 'recovery.suggested', '{}', now() - interval '${OUTBOX_OLDEST_PENDING_AGE} seconds'),
      ('recovery_candidate', '2', 'recovery.suggested', '{}', now() - interval '30 seconds');
    INSERT INTO m10_recovery.outbox (aggregate_type, aggregate_id, event_type, payload, created_at, retry_count, last_error, next_retry_at) VALUES
      ('recovery_candidate', '3', 'recovery.suggested', '{}', now() - interval '100 seconds', 2, 'HTTP 500', now() + interval '5 minutes');
    INSERT INTO m10_recovery.outbox (aggregate_type, aggregate_id, event_type, payload, created_at, processed_at, processed_by) VALUES
      ('recovery_candidate', '4', 'recovery.suggested', '{}', now() - interval '2 hours', now() - interval '1 hour', 'processor-1'),
      ('recovery_candidate', '5', 'recovery.suggested', '{}', now() - interval '3 hours', now() - interval '2 hours', 'dead-letter');

    INSERT INTO m10_recovery.dead_letter_archive (dl_msg_id, original_msg_id, candidate_id, payload, reason) VALUES
      ('1-0', '0-1', 1, '{}', 'max_reclaim_attempts'),
      (NULL, 'outbox:5', NULL, '{}', 'outbox_max_retries');
    INSERT INTO m10_recovery.replay_log (original_msg_id, dl_msg_id, candidate_id, new_msg_id, replayed_by) VALUES
      ('0-9', '1-9', 9, '2-9', 'operator');

    INSERT INTO m10_recovery.matview_refresh_log (view_name, started_at, completed_at, duration_ms, success, error_message) VALUES
      ('mv_top_pending', now() - interval '${MATVIEW_LAST_SUCCESS_AGE + 1} seconds', now() - interval '${MATVIEW_LAST_SUCCESS_AGE} seconds', 1000, true, NULL),
      ('mv_top_pending', now() - interval '11 seconds', now() - interval '10 seconds', 5, false, 'canceling statement due to lock timeout');

    INSERT INTO m10_recovery.distributed_locks (lock_name, holder_id, expires_at) VALUES
      ('${LIVE_LOCK}', 'host-a:1:abcd', now() + interval '10 minutes'),
      ('m10:retention', 'host-b:2:ef01', now() - interval '1 minute');

    -- Orchestrator runs as every run records them (migrations 039, 040): the dashboard's
    -- maintenance panels read these, in timer and --every mode alike.
    INSERT INTO m10_recovery.maintenance_task_runs
           (task, last_result, last_finished_at, last_duration_seconds, last_holder, last_success_at, runs_success, runs_failed, runs_skipped, last_figures, figures_recorded) VALUES
      ('retention', 'success', now() - interval '5 minutes', 0.4, 'orchestrator:host-a', now() - interval '5 minutes', 3, 0, 1,
       '{"dead_letter_archive_purge_deleted": 2, "replay_log_purge_deleted": 1}', '{"dead_letter_archive_purge_deleted": 7, "replay_log_purge_deleted": 4}'),
      ('reclaim_gc', 'failed', now() - interval '5 minutes', 0.1, 'orchestrator:host-a', now() - interval '10 minutes', 2, 1, 0,
       '{"expired_locks": 1, "stalled_work": 0, "expired_evaluation_leases": 0}', '{"expired_locks": 3, "stalled_work": 1, "expired_evaluation_leases": 0}'),
      ('matview_refresh', 'success', now() - interval '5 minutes', 1.2, 'orchestrator:host-a', now() - interval '5 minutes', 3, 0, 0,
       '{"refreshed": 1, "mv_top_pending_refresh_seconds": 1.1}', '{"refreshed": 3, "mv_top_pending_refresh_seconds": 2.5}'),
      ('dl_reconcile', 'success', now() - interval '5 minutes', 0.2, 'orchestrator:host-a', now() - interval '5 minutes', 3, 0, 0,
       '{"archived": 2, "trimmed": 2}', '{"archived": 5, "trimmed": 5}');
  `);
}

/** The gauge values prepareStream produces (with M10_CLAIM_IDLE_MS below 120 s). */
export const STREAM_EXPECTED = {
  recovery_stream_length: 5,
  recovery_stream_pending: 3,
  recovery_stream_consumers: 2,
  m10_consumer_count: 2,
  m10_reclaim_count: 2,
  recovery_dead_letter_length: 4,
} as const;

/**
 * Five entries; consumer "stale-worker" holds two of them idle for 120 s (XCLAIM ... IDLE), consumer
 * "busy-worker" holds one just delivered; four dead letters.
 */
export async function prepareStream(redis: RedisClient, keys: StreamKeys): Promise<void> {
  for (let i = 0; i < 5; i += 1) await redis.xadd(keys.stream, "*", "candidate_id", String(i + 1), "priority", "0");
  await redis.xgroup("CREATE", keys.stream, keys.group, "0", "MKSTREAM");
  const read = (await redis.xreadgroup("GROUP", keys.group, "stale-worker", "COUNT", 2, "STREAMS", keys.stream, ">")) as [string, [string, string[]][]][];
  const staleIds = (read[0]?.[1] ?? []).map(([id]) => id);
  await redis.call("XCLAIM", keys.stream, keys.group, "stale-worker", "0", ...staleIds, "IDLE", "120000");
  await redis.xreadgroup("GROUP", keys.group, "busy-worker", "COUNT", 1, "STREAMS", keys.stream, ">");
  for (let i = 0; i < 4; i += 1) await redis.xadd(keys.deadLetter, "*", "original_msg_id", `0-${i}`, "reason", "max_reclaim_attempts");
}
