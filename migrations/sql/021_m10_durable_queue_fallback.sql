-- 021_m10_durable_queue_fallback
-- The DB fallback work queue (used when Redis is down) and its functions, uq_rc_fmid_sig,
-- matview refresh logging (matview_refresh_log, refresh_mv_tracked, matview_freshness).
-- enqueue_work carries the 041 body (inferable ON CONFLICT on the partial unique index).

-- Up Migration

CREATE TABLE m10_recovery.work_queue (
    id              serial      NOT NULL,
    candidate_id    integer     NOT NULL,
    idempotency_key uuid,
    method          text        NOT NULL DEFAULT 'db_fallback',
    priority        integer     DEFAULT 0,
    queued_at       timestamptz NOT NULL DEFAULT now(),
    claimed_at      timestamptz,
    claimed_by      text,
    processed_at    timestamptz,
    error_message   text,
    retry_count     integer     DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT work_queue_pkey PRIMARY KEY (id)
);

COMMENT ON TABLE m10_recovery.work_queue IS
    'Fallback evaluation queue when Redis is unavailable. Pending: claimed_at and processed_at NULL; claimed: claimed_at set; done: processed_at set.';
COMMENT ON COLUMN m10_recovery.work_queue.method IS 'redis_stream, db_fallback or retry';

-- A partial unique index (not a constraint): ON CONFLICT must infer it with
-- (candidate_id) WHERE processed_at IS NULL, never ON CONSTRAINT.
CREATE UNIQUE INDEX uq_work_queue_candidate_pending ON m10_recovery.work_queue (candidate_id)
    WHERE processed_at IS NULL;
CREATE INDEX idx_wq_pending_priority ON m10_recovery.work_queue (priority DESC, queued_at)
    WHERE processed_at IS NULL AND claimed_at IS NULL;
CREATE INDEX idx_wq_claimed_stalled ON m10_recovery.work_queue (claimed_at)
    WHERE processed_at IS NULL AND claimed_at IS NOT NULL;

-- Logically redundant with recovery_candidates_failure_match_id_key, but the runbook and the
-- invariants test look it up by name and require it to be partial. The ingest upsert targets
-- ON CONFLICT (failure_match_id) (Decision 5).
CREATE UNIQUE INDEX uq_rc_fmid_sig ON public.recovery_candidates (failure_match_id, error_signature)
    WHERE error_signature IS NOT NULL;

CREATE TABLE m10_recovery.matview_refresh_log (
    id            serial      NOT NULL,
    view_name     text        NOT NULL,
    started_at    timestamptz NOT NULL DEFAULT now(),
    completed_at  timestamptz,
    duration_ms   integer,
    rows_affected integer,
    success       boolean     DEFAULT false,
    error_message text,
    CONSTRAINT matview_refresh_log_pkey PRIMARY KEY (id)
);

COMMENT ON TABLE m10_recovery.matview_refresh_log IS
    'Materialized view refresh attempts, for freshness monitoring';

-- At most one in-flight refresh per view.
CREATE UNIQUE INDEX uq_refresh_log_running ON m10_recovery.matview_refresh_log (view_name)
    WHERE completed_at IS NULL;
CREATE INDEX idx_mrl_view_completed
    ON m10_recovery.matview_refresh_log (view_name, completed_at DESC);

-- Logs the attempt, refreshes, records the outcome and returns (success, duration_ms, error).
-- Errors are caught and reported in the result row, not raised.
-- Deliberate deviation from the predecessor: a view name other than 'mv_top_pending' used to be
-- logged as a successful refresh without refreshing anything; it now logs and returns
-- (false, duration_ms, 'unknown view').
CREATE FUNCTION m10_recovery.refresh_mv_tracked(p_view_name text DEFAULT 'mv_top_pending')
RETURNS TABLE(success boolean, duration_ms integer, error text)
LANGUAGE plpgsql
AS $$
DECLARE
    v_log_id   integer;
    v_start    timestamptz := clock_timestamp();
    v_duration integer;
    v_ok       boolean;
    v_error    text;
BEGIN
    INSERT INTO m10_recovery.matview_refresh_log (view_name, started_at)
    VALUES (p_view_name, v_start)
    RETURNING id INTO v_log_id;

    BEGIN
        IF p_view_name = 'mv_top_pending' THEN
            REFRESH MATERIALIZED VIEW CONCURRENTLY m10_recovery.mv_top_pending;
            v_ok := true;
        ELSE
            v_ok := false;
            v_error := 'unknown view';
        END IF;
    EXCEPTION WHEN OTHERS THEN
        v_ok := false;
        v_error := SQLERRM;
    END;

    v_duration := (extract(epoch FROM clock_timestamp() - v_start) * 1000)::integer;

    UPDATE m10_recovery.matview_refresh_log mrl
       SET completed_at  = clock_timestamp(),
           duration_ms   = v_duration,
           success       = v_ok,
           error_message = v_error
     WHERE mrl.id = v_log_id;

    RETURN QUERY SELECT v_ok, v_duration, v_error;
END;
$$;

-- last_refresh / age_seconds count failed attempts too ("time since the last completed attempt");
-- last_success says whether that attempt succeeded.
CREATE VIEW m10_recovery.matview_freshness AS
SELECT
    mrl.view_name,
    max(mrl.completed_at)                               AS last_refresh,
    extract(epoch FROM now() - max(mrl.completed_at))   AS age_seconds,
    (SELECT l2.success FROM m10_recovery.matview_refresh_log l2
      WHERE l2.view_name = mrl.view_name
      ORDER BY l2.completed_at DESC LIMIT 1)            AS last_success,
    (SELECT l3.duration_ms FROM m10_recovery.matview_refresh_log l3
      WHERE l3.view_name = mrl.view_name
      ORDER BY l3.completed_at DESC LIMIT 1)            AS last_duration_ms
FROM m10_recovery.matview_refresh_log mrl
WHERE mrl.completed_at IS NOT NULL
GROUP BY mrl.view_name;

-- 041 body. A pending row for the same candidate (claimed or not) is reused: priority becomes
-- GREATEST(old, new), retry_count + 1, idempotency_key and method are kept; returns its id.
CREATE FUNCTION m10_recovery.enqueue_work(
    p_candidate_id    integer,
    p_idempotency_key uuid    DEFAULT NULL,
    p_priority        integer DEFAULT 0,
    p_method          text    DEFAULT 'db_fallback'
)
RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
    v_id integer;
BEGIN
    INSERT INTO m10_recovery.work_queue AS wq (candidate_id, idempotency_key, priority, method)
    VALUES (p_candidate_id, p_idempotency_key, p_priority, p_method)
    ON CONFLICT (candidate_id) WHERE processed_at IS NULL
    DO UPDATE SET
        priority    = GREATEST(wq.priority, EXCLUDED.priority),
        retry_count = COALESCE(wq.retry_count, 0) + 1
    RETURNING wq.id INTO v_id;

    RETURN v_id;
END;
$$;

-- Claims unclaimed pending items, highest priority then oldest first, skipping rows locked by
-- other workers. Stale claims are not reclaimed here (release_stalled_work does that).
CREATE FUNCTION m10_recovery.claim_work(p_worker_id text, p_batch_size integer DEFAULT 10)
RETURNS TABLE(
    work_id         integer,
    candidate_id    integer,
    idempotency_key uuid,
    priority        integer,
    retry_count     integer
)
LANGUAGE plpgsql
AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    WITH picked AS (
        SELECT w.id
          FROM m10_recovery.work_queue w
         WHERE w.processed_at IS NULL
           AND w.claimed_at IS NULL
         ORDER BY w.priority DESC, w.queued_at ASC
         LIMIT p_batch_size
           FOR UPDATE SKIP LOCKED
    )
    UPDATE m10_recovery.work_queue wq
       SET claimed_at = now(),
           claimed_by = p_worker_id
      FROM picked
     WHERE wq.id = picked.id
    RETURNING wq.id, wq.candidate_id, wq.idempotency_key, wq.priority, wq.retry_count;
END;
$$;

-- Success: processed_at = now() (claimed_at / claimed_by are kept).
-- Failure: the claim is cleared, error_message set, retry_count + 1, so the item is claimable again.
CREATE FUNCTION m10_recovery.complete_work(
    p_work_id integer,
    p_success boolean DEFAULT true,
    p_error   text    DEFAULT NULL
)
RETURNS boolean
LANGUAGE plpgsql
AS $$
BEGIN
    IF p_success THEN
        UPDATE m10_recovery.work_queue wq
           SET processed_at = now()
         WHERE wq.id = p_work_id;
    ELSE
        UPDATE m10_recovery.work_queue wq
           SET claimed_at    = NULL,
               claimed_by    = NULL,
               error_message = p_error,
               retry_count   = COALESCE(wq.retry_count, 0) + 1
         WHERE wq.id = p_work_id;
    END IF;
    RETURN FOUND;
END;
$$;

-- Releases claims older than p_stalled_seconds (retry_count unchanged); returns how many.
CREATE FUNCTION m10_recovery.release_stalled_work(p_stalled_seconds integer DEFAULT 300)
RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
    v_count integer;
BEGIN
    WITH released AS (
        UPDATE m10_recovery.work_queue wq
           SET claimed_at    = NULL,
               claimed_by    = NULL,
               error_message = 'Released: worker stalled'
         WHERE wq.processed_at IS NULL
           AND wq.claimed_at IS NOT NULL
           AND wq.claimed_at < now() - (p_stalled_seconds || ' seconds')::interval
        RETURNING wq.id
    )
    SELECT count(*) INTO v_count FROM released;
    RETURN v_count;
END;
$$;

-- Down Migration

DROP FUNCTION m10_recovery.release_stalled_work(integer);
DROP FUNCTION m10_recovery.complete_work(integer, boolean, text);
DROP FUNCTION m10_recovery.claim_work(text, integer);
DROP FUNCTION m10_recovery.enqueue_work(integer, uuid, integer, text);
DROP VIEW m10_recovery.matview_freshness;
DROP FUNCTION m10_recovery.refresh_mv_tracked(text);
DROP TABLE m10_recovery.matview_refresh_log;
DROP INDEX public.uq_rc_fmid_sig;
DROP TABLE m10_recovery.work_queue;
