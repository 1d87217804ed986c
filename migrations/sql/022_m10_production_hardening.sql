-- 022_m10_production_hardening
-- Leader-election locks, the replay log, the dead-letter archive, the transactional outbox and the
-- nine functions the 022 runbook checks. publish_outbox carries the 034 body (inferable
-- ON CONFLICT on the partial unique index). claim_outbox_events / complete_outbox_event are the
-- 022 versions here; 024 replaces them with the lease-based single signatures (Decision 4).

-- Up Migration

CREATE TABLE m10_recovery.distributed_locks (
    lock_name   text        NOT NULL,
    holder_id   text        NOT NULL,
    acquired_at timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    metadata    jsonb       DEFAULT '{}'::jsonb,
    CONSTRAINT distributed_locks_pkey PRIMARY KEY (lock_name)
);

COMMENT ON TABLE m10_recovery.distributed_locks IS
    'Leases for leader election (outbox processor, retention, reconcile, matview refresh)';
COMMENT ON COLUMN m10_recovery.distributed_locks.holder_id IS 'hostname:pid[:uuid8]';

CREATE INDEX idx_dl_expires ON m10_recovery.distributed_locks (expires_at);

CREATE TABLE m10_recovery.replay_log (
    id              bigserial   NOT NULL,
    original_msg_id text        NOT NULL,
    dl_msg_id       text,
    candidate_id    integer,
    idempotency_key uuid,
    new_msg_id      text,
    replayed_at     timestamptz NOT NULL DEFAULT now(),
    replayed_by     text,
    status          text        NOT NULL DEFAULT 'replayed',
    error_message   text,
    CONSTRAINT replay_log_pkey PRIMARY KEY (id),
    CONSTRAINT uq_replay_original UNIQUE (original_msg_id)
);

COMMENT ON TABLE m10_recovery.replay_log IS
    'Durable record of dead-letter replays; makes replay idempotent across Redis restarts';

CREATE INDEX idx_replay_dl_msg ON m10_recovery.replay_log (dl_msg_id);
CREATE INDEX idx_replay_candidate ON m10_recovery.replay_log (candidate_id)
    WHERE candidate_id IS NOT NULL;
CREATE INDEX idx_replay_created ON m10_recovery.replay_log (replayed_at DESC);

CREATE TABLE m10_recovery.dead_letter_archive (
    id               bigserial   NOT NULL,
    dl_msg_id        text,
    original_msg_id  text,
    candidate_id     integer,
    failure_match_id uuid,
    payload          jsonb       NOT NULL,
    reason           text,
    reclaim_count    integer     DEFAULT 0,
    dead_lettered_at timestamptz,
    archived_at      timestamptz NOT NULL DEFAULT now(),
    archived_by      text        DEFAULT 'system',
    CONSTRAINT dead_letter_archive_pkey PRIMARY KEY (id),
    -- NULL dl_msg_id values never collide.
    CONSTRAINT uq_dla_dl_msg UNIQUE (dl_msg_id)
);

COMMENT ON TABLE m10_recovery.dead_letter_archive IS
    'Dead-lettered messages and outbox events, archived before the Redis stream is trimmed';

CREATE INDEX idx_dla_archived ON m10_recovery.dead_letter_archive (archived_at DESC);
CREATE INDEX idx_dla_candidate ON m10_recovery.dead_letter_archive (candidate_id)
    WHERE candidate_id IS NOT NULL;
CREATE INDEX idx_dla_failure ON m10_recovery.dead_letter_archive (failure_match_id)
    WHERE failure_match_id IS NOT NULL;
CREATE INDEX idx_dla_reason ON m10_recovery.dead_letter_archive (reason);

CREATE TABLE m10_recovery.outbox (
    id             bigserial   NOT NULL,
    aggregate_type text        NOT NULL,
    aggregate_id   text        NOT NULL,
    event_type     text        NOT NULL,
    payload        jsonb       NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    processed_at   timestamptz,
    processed_by   text,
    retry_count    integer     DEFAULT 0,
    last_error     text,
    next_retry_at  timestamptz,
    CONSTRAINT outbox_pkey PRIMARY KEY (id)
);

COMMENT ON TABLE m10_recovery.outbox IS
    'Transactional outbox: side effects written with the state change, delivered by the outbox processor';

-- A partial unique index (not a constraint): at most one pending event per
-- (aggregate_type, aggregate_id, event_type). ON CONFLICT must infer it, never ON CONSTRAINT.
CREATE UNIQUE INDEX uq_outbox_pending
    ON m10_recovery.outbox (aggregate_type, aggregate_id, event_type)
    WHERE processed_at IS NULL;
CREATE INDEX idx_outbox_pending ON m10_recovery.outbox (created_at)
    WHERE processed_at IS NULL;
CREATE INDEX idx_outbox_retry ON m10_recovery.outbox (next_retry_at)
    WHERE processed_at IS NULL AND next_retry_at IS NOT NULL;

-- TRUE when the lock was inserted, taken over after expiry, or re-acquired by the same holder
-- (which resets acquired_at and the TTL); FALSE while another holder's lock is unexpired.
-- Racing acquirers serialise on the ON CONFLICT row lock.
CREATE FUNCTION m10_recovery.acquire_lock(
    p_lock_name   text,
    p_holder_id   text,
    p_ttl_seconds integer DEFAULT 600
)
RETURNS boolean
LANGUAGE plpgsql
AS $$
DECLARE
    v_rows integer;
BEGIN
    INSERT INTO m10_recovery.distributed_locks AS dl (lock_name, holder_id, acquired_at, expires_at)
    VALUES (p_lock_name, p_holder_id, now(), now() + (p_ttl_seconds || ' seconds')::interval)
    ON CONFLICT (lock_name) DO UPDATE
       SET holder_id   = EXCLUDED.holder_id,
           acquired_at = EXCLUDED.acquired_at,
           expires_at  = EXCLUDED.expires_at
     WHERE dl.expires_at < now()
        OR dl.holder_id = EXCLUDED.holder_id;

    GET DIAGNOSTICS v_rows = ROW_COUNT;
    RETURN v_rows > 0;
END;
$$;

-- Only the holder can release (expiry is ignored).
CREATE FUNCTION m10_recovery.release_lock(p_lock_name text, p_holder_id text)
RETURNS boolean
LANGUAGE plpgsql
AS $$
DECLARE
    v_rows integer;
BEGIN
    DELETE FROM m10_recovery.distributed_locks dl
     WHERE dl.lock_name = p_lock_name
       AND dl.holder_id = p_holder_id;

    GET DIAGNOSTICS v_rows = ROW_COUNT;
    RETURN v_rows > 0;
END;
$$;

-- Only the holder can extend (an expired lock nobody took over can still be extended).
CREATE FUNCTION m10_recovery.extend_lock(
    p_lock_name   text,
    p_holder_id   text,
    p_ttl_seconds integer DEFAULT 600
)
RETURNS boolean
LANGUAGE plpgsql
AS $$
DECLARE
    v_rows integer;
BEGIN
    UPDATE m10_recovery.distributed_locks dl
       SET expires_at = now() + (p_ttl_seconds || ' seconds')::interval
     WHERE dl.lock_name = p_lock_name
       AND dl.holder_id = p_holder_id;

    GET DIAGNOSTICS v_rows = ROW_COUNT;
    RETURN v_rows > 0;
END;
$$;

CREATE FUNCTION m10_recovery.cleanup_expired_locks()
RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
    v_count integer;
BEGIN
    WITH deleted AS (
        DELETE FROM m10_recovery.distributed_locks dl
         WHERE dl.expires_at < now()
        RETURNING dl.lock_name
    )
    SELECT count(*) INTO v_count FROM deleted;
    RETURN v_count;
END;
$$;

-- Always returns exactly one row: (false, new id) for the first replay of original_msg_id,
-- (true, existing id) afterwards, including when a concurrent session won the race.
CREATE FUNCTION m10_recovery.record_replay(
    p_original_msg_id text,
    p_dl_msg_id       text,
    p_candidate_id    integer DEFAULT NULL,
    p_idempotency_key uuid    DEFAULT NULL,
    p_new_msg_id      text    DEFAULT NULL,
    p_replayed_by     text    DEFAULT 'system'
)
RETURNS TABLE(already_replayed boolean, replay_id bigint)
LANGUAGE plpgsql
AS $$
DECLARE
    v_id bigint;
BEGIN
    SELECT rl.id INTO v_id
      FROM m10_recovery.replay_log rl
     WHERE rl.original_msg_id = p_original_msg_id;

    IF v_id IS NOT NULL THEN
        RETURN QUERY SELECT true, v_id;
        RETURN;
    END IF;

    INSERT INTO m10_recovery.replay_log
        (original_msg_id, dl_msg_id, candidate_id, idempotency_key, new_msg_id, replayed_by)
    VALUES
        (p_original_msg_id, p_dl_msg_id, p_candidate_id, p_idempotency_key, p_new_msg_id,
         p_replayed_by)
    ON CONFLICT (original_msg_id) DO NOTHING
    RETURNING id INTO v_id;

    IF v_id IS NOT NULL THEN
        RETURN QUERY SELECT false, v_id;
        RETURN;
    END IF;

    SELECT rl.id INTO v_id
      FROM m10_recovery.replay_log rl
     WHERE rl.original_msg_id = p_original_msg_id;
    RETURN QUERY SELECT true, v_id;
END;
$$;

-- Idempotent on dl_msg_id: a repeat only bumps archived_at and returns the existing id (payload,
-- reason etc. are not changed). A NULL dl_msg_id never conflicts, so it always inserts.
CREATE FUNCTION m10_recovery.archive_dead_letter(
    p_dl_msg_id        text,
    p_original_msg_id  text,
    p_candidate_id     integer,
    p_failure_match_id uuid,
    p_payload          jsonb,
    p_reason           text        DEFAULT NULL,
    p_reclaim_count    integer     DEFAULT 0,
    p_dead_lettered_at timestamptz DEFAULT NULL,
    p_archived_by      text        DEFAULT 'system'
)
RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
    v_id bigint;
BEGIN
    INSERT INTO m10_recovery.dead_letter_archive AS dla
        (dl_msg_id, original_msg_id, candidate_id, failure_match_id, payload, reason,
         reclaim_count, dead_lettered_at, archived_by)
    VALUES
        (p_dl_msg_id, p_original_msg_id, p_candidate_id, p_failure_match_id, p_payload, p_reason,
         p_reclaim_count, COALESCE(p_dead_lettered_at, now()), p_archived_by)
    ON CONFLICT (dl_msg_id) DO UPDATE
       SET archived_at = now()
    RETURNING dla.id INTO v_id;

    RETURN v_id;
END;
$$;

-- 034 body. A pending event with the same (aggregate_type, aggregate_id, event_type) is reused:
-- payload replaced, retry_count + 1, same id returned. Once processed, the triple gets a new row.
CREATE FUNCTION m10_recovery.publish_outbox(
    p_aggregate_type text,
    p_aggregate_id   text,
    p_event_type     text,
    p_payload        jsonb
)
RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
    v_id bigint;
BEGIN
    INSERT INTO m10_recovery.outbox AS o (aggregate_type, aggregate_id, event_type, payload)
    VALUES (p_aggregate_type, p_aggregate_id, p_event_type, p_payload)
    ON CONFLICT (aggregate_type, aggregate_id, event_type) WHERE processed_at IS NULL
    DO UPDATE SET
        payload     = EXCLUDED.payload,
        retry_count = COALESCE(o.retry_count, 0) + 1
    RETURNING o.id INTO v_id;

    RETURN v_id;
END;
$$;

-- 022 version (replaced in 024): the claim is only a row lock held until the caller's
-- transaction ends; p_processor_id is unused.
CREATE FUNCTION m10_recovery.claim_outbox_events(p_processor_id text, p_batch_size integer DEFAULT 10)
RETURNS TABLE(
    event_id       bigint,
    aggregate_type text,
    aggregate_id   text,
    event_type     text,
    payload        jsonb,
    retry_count    integer
)
LANGUAGE plpgsql
AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    WITH picked AS (
        SELECT o.id
          FROM m10_recovery.outbox o
         WHERE o.processed_at IS NULL
           AND (o.next_retry_at IS NULL OR o.next_retry_at <= now())
         ORDER BY o.created_at ASC
         LIMIT p_batch_size
           FOR UPDATE SKIP LOCKED
    )
    SELECT o.id, o.aggregate_type, o.aggregate_id, o.event_type, o.payload, o.retry_count
      FROM m10_recovery.outbox o
      JOIN picked ON picked.id = o.id;
END;
$$;

-- 022 version (replaced in 024).
CREATE FUNCTION m10_recovery.complete_outbox_event(
    p_event_id            bigint,
    p_processor_id        text,
    p_success             boolean,
    p_error               text    DEFAULT NULL,
    p_retry_delay_seconds integer DEFAULT 60
)
RETURNS boolean
LANGUAGE plpgsql
AS $$
BEGIN
    IF p_success THEN
        UPDATE m10_recovery.outbox o
           SET processed_at = now(),
               processed_by = p_processor_id
         WHERE o.id = p_event_id;
    ELSE
        UPDATE m10_recovery.outbox o
           SET last_error    = p_error,
               retry_count   = COALESCE(o.retry_count, 0) + 1,
               next_retry_at = now() + (p_retry_delay_seconds || ' seconds')::interval
         WHERE o.id = p_event_id;
    END IF;
    RETURN FOUND;
END;
$$;

-- Down Migration

DROP FUNCTION m10_recovery.complete_outbox_event(bigint, text, boolean, text, integer);
DROP FUNCTION m10_recovery.claim_outbox_events(text, integer);
DROP FUNCTION m10_recovery.publish_outbox(text, text, text, jsonb);
DROP FUNCTION m10_recovery.archive_dead_letter(text, text, integer, uuid, jsonb, text, integer, timestamptz, text);
DROP FUNCTION m10_recovery.record_replay(text, text, integer, uuid, text, text);
DROP FUNCTION m10_recovery.cleanup_expired_locks();
DROP FUNCTION m10_recovery.extend_lock(text, text, integer);
DROP FUNCTION m10_recovery.release_lock(text, text);
DROP FUNCTION m10_recovery.acquire_lock(text, text, integer);
DROP TABLE m10_recovery.outbox;
DROP TABLE m10_recovery.dead_letter_archive;
DROP TABLE m10_recovery.replay_log;
DROP TABLE m10_recovery.distributed_locks;
