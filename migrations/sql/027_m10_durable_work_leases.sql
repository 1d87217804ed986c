-- 027_m10_durable_work_leases
-- The DB fallback queue gets the outbox's lease discipline (docs/architecture.md §2 promise 10):
--   complete_work: only the claimer completes. p_worker_id (claim_work's p_worker_id) must be the
--     item's claimed_by and the item unprocessed; anyone else gets FALSE and changes nothing.
--   release_stalled_work: every expired claim counts in work_queue.lease_expiries; an item whose
--     claim expired p_max_attempts times (its worker died or hung on it each time) is archived in
--     dead_letter_archive (reason work_lease_expired, dl_msg_id work_queue:<id>) and marked
--     processed, instead of being handed to the next worker for ever.

-- Up Migration

ALTER TABLE m10_recovery.work_queue
    ADD COLUMN lease_expiries integer NOT NULL DEFAULT 0;

COMMENT ON COLUMN m10_recovery.work_queue.lease_expiries IS
    'Claims of this item that expired (released by release_stalled_work); at p_max_attempts the item is dead-lettered';

DROP FUNCTION m10_recovery.complete_work(integer, boolean, text);
DROP FUNCTION m10_recovery.release_stalled_work(integer);

-- Success: processed_at = now() (claimed_at / claimed_by are kept).
-- Failure: the claim is cleared, error_message set, retry_count + 1, so the item is claimable again.
-- Either only when p_worker_id holds the claim of the unprocessed item; otherwise FALSE. A NULL
-- p_worker_id is refused (the 021 form without a claimer no longer exists).
CREATE FUNCTION m10_recovery.complete_work(
    p_work_id   integer,
    p_success   boolean DEFAULT true,
    p_error     text    DEFAULT NULL,
    p_worker_id text    DEFAULT NULL
)
RETURNS boolean
LANGUAGE plpgsql
AS $$
BEGIN
    IF p_worker_id IS NULL THEN
        RAISE EXCEPTION 'complete_work needs the claimer: complete_work(work_id, success, error, worker_id)'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF p_success THEN
        UPDATE m10_recovery.work_queue wq
           SET processed_at = now()
         WHERE wq.id = p_work_id
           AND wq.processed_at IS NULL
           AND wq.claimed_by = p_worker_id;
    ELSE
        UPDATE m10_recovery.work_queue wq
           SET claimed_at    = NULL,
               claimed_by    = NULL,
               error_message = p_error,
               retry_count   = COALESCE(wq.retry_count, 0) + 1
         WHERE wq.id = p_work_id
           AND wq.processed_at IS NULL
           AND wq.claimed_by = p_worker_id;
    END IF;
    RETURN FOUND;
END;
$$;

-- Ends claims older than p_stalled_seconds; returns how many. Each such claim counts one lease
-- expiry: below p_max_attempts expiries the item is released (claimable again, retry_count
-- unchanged); at p_max_attempts it is archived as a dead letter and marked processed.
CREATE FUNCTION m10_recovery.release_stalled_work(
    p_stalled_seconds integer DEFAULT 300,
    p_max_attempts    integer DEFAULT 3
)
RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
    v_item     record;
    v_expiries integer;
    v_count    integer := 0;
BEGIN
    FOR v_item IN
        SELECT wq.id, wq.candidate_id, wq.idempotency_key, wq.priority, wq.claimed_by, wq.retry_count,
               wq.lease_expiries
          FROM m10_recovery.work_queue wq
         WHERE wq.processed_at IS NULL
           AND wq.claimed_at IS NOT NULL
           AND wq.claimed_at < now() - make_interval(secs => COALESCE(p_stalled_seconds, 300))
         ORDER BY wq.id
           FOR UPDATE SKIP LOCKED
    LOOP
        v_expiries := v_item.lease_expiries + 1;
        IF v_expiries >= COALESCE(p_max_attempts, 3) THEN
            PERFORM m10_recovery.archive_dead_letter(
                'work_queue:' || v_item.id,
                'work_queue:' || v_item.id,
                v_item.candidate_id,
                NULL,
                jsonb_build_object(
                    'queue', 'm10_recovery.work_queue',
                    'work_id', v_item.id,
                    'candidate_id', v_item.candidate_id,
                    'idempotency_key', v_item.idempotency_key,
                    'priority', v_item.priority,
                    'retry_count', v_item.retry_count,
                    'lease_expiries', v_expiries,
                    'last_holder', v_item.claimed_by),
                'work_lease_expired',
                v_expiries,
                now(),
                'release_stalled_work');
            UPDATE m10_recovery.dead_letter_archive dla
               SET stream_name   = COALESCE(dla.stream_name, 'm10_recovery.work_queue'),
                   stream_msg_id = COALESCE(dla.stream_msg_id, v_item.id::text)
             WHERE dla.dl_msg_id = 'work_queue:' || v_item.id;
            UPDATE m10_recovery.work_queue wq
               SET processed_at   = now(),
                   lease_expiries = v_expiries,
                   error_message  = format('dead-lettered: claim expired %s times (last holder %s)',
                                           v_expiries, v_item.claimed_by)
             WHERE wq.id = v_item.id;
        ELSE
            UPDATE m10_recovery.work_queue wq
               SET claimed_at     = NULL,
                   claimed_by     = NULL,
                   lease_expiries = v_expiries,
                   error_message  = 'Released: worker stalled'
             WHERE wq.id = v_item.id;
        END IF;
        v_count := v_count + 1;
    END LOOP;
    RETURN v_count;
END;
$$;

-- Down Migration

DROP FUNCTION m10_recovery.release_stalled_work(integer, integer);
DROP FUNCTION m10_recovery.complete_work(integer, boolean, text, text);

-- The 021 bodies.
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

ALTER TABLE m10_recovery.work_queue DROP COLUMN lease_expiries;
