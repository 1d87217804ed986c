-- 024_m10_leases_and_evaluation_state
-- M10's own additions (DB_CONTRACT Decisions 2, 4 and 6) plus the parts of the predecessor's 035
-- that M10 keeps:
--   outbox: process_after (035), updated_at + BEFORE UPDATE trigger, claimed_at / claimed_by
--           (durable claim leases), a trigger that keeps next_retry_at and process_after equal,
--           an index for the claim's due-time filter;
--   claim_outbox_events / complete_outbox_event: replaced (DROP + CREATE) by single-signature,
--           lease-based versions; no 035-style overloads. The rollback restores the 022 versions;
--   dead_letter_archive: stream_msg_id / stream_name (035) and the runbook's failure_reason /
--           failed_at as STORED generated columns;
--   recovery_candidates: evaluated_at (NULL = needs evaluation) and an evaluation lease.

-- Up Migration

------------------------------------------------------------------------------------------------
-- outbox columns
------------------------------------------------------------------------------------------------

-- 035's column. Existing rows get their current due time, so both retry fields agree from the
-- start; new rows default to now().
ALTER TABLE m10_recovery.outbox ADD COLUMN process_after timestamptz;
UPDATE m10_recovery.outbox SET process_after = COALESCE(next_retry_at, created_at);
ALTER TABLE m10_recovery.outbox ALTER COLUMN process_after SET DEFAULT now();

ALTER TABLE m10_recovery.outbox
    ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN claimed_at timestamptz,
    ADD COLUMN claimed_by text;

COMMENT ON COLUMN m10_recovery.outbox.process_after IS
    'Earliest time of the next delivery attempt; kept equal to next_retry_at by trg_outbox_sync_retry_time';
COMMENT ON COLUMN m10_recovery.outbox.next_retry_at IS
    'Same value as process_after (the runbook reads and resets this one); NULL until the first failure';
COMMENT ON COLUMN m10_recovery.outbox.claimed_at IS
    'Start of the current delivery lease; a lease older than the claim''s lease seconds can be taken over';
COMMENT ON COLUMN m10_recovery.outbox.claimed_by IS
    'Processor holding the lease; only it can complete the event';

-- Due-time filter of claim_outbox_events (same expression as in the function).
CREATE INDEX idx_outbox_due
    ON m10_recovery.outbox ((COALESCE(next_retry_at, process_after, created_at)))
    WHERE processed_at IS NULL;

-- Leases held right now (stale-lease checks and metrics).
CREATE INDEX idx_outbox_claimed ON m10_recovery.outbox (claimed_at)
    WHERE processed_at IS NULL AND claimed_at IS NOT NULL;

------------------------------------------------------------------------------------------------
-- outbox triggers
------------------------------------------------------------------------------------------------

CREATE FUNCTION m10_recovery.set_outbox_updated_at()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;

CREATE TRIGGER trg_outbox_updated_at
    BEFORE UPDATE ON m10_recovery.outbox
    FOR EACH ROW
    EXECUTE FUNCTION m10_recovery.set_outbox_updated_at();

-- next_retry_at and process_after hold the same value.
--   UPDATE: whichever one the statement changed is copied into the other, so the runbook's reset
--           (SET retry_count = 0, next_retry_at = NOW(), last_error = NULL) makes an event due at
--           once. If both changed to different values, process_after (the retry authority of
--           the outbox contract) wins.
--   INSERT: an explicit next_retry_at is copied into process_after. A plain insert keeps
--           next_retry_at NULL ("never failed") and process_after = now(); the claim reads
--           COALESCE(next_retry_at, process_after, created_at), so both cases are consistent.
CREATE FUNCTION m10_recovery.sync_outbox_retry_time()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.next_retry_at IS NOT NULL THEN
            NEW.process_after := NEW.next_retry_at;
        END IF;
        RETURN NEW;
    END IF;

    IF NEW.process_after IS DISTINCT FROM OLD.process_after THEN
        NEW.next_retry_at := NEW.process_after;
    ELSIF NEW.next_retry_at IS DISTINCT FROM OLD.next_retry_at THEN
        NEW.process_after := NEW.next_retry_at;
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER trg_outbox_sync_retry_time
    BEFORE INSERT OR UPDATE OF next_retry_at, process_after ON m10_recovery.outbox
    FOR EACH ROW
    EXECUTE FUNCTION m10_recovery.sync_outbox_retry_time();

------------------------------------------------------------------------------------------------
-- outbox functions: one signature each (Decision 3), durable leases (Decision 4)
------------------------------------------------------------------------------------------------

DROP FUNCTION m10_recovery.claim_outbox_events(text, integer);
DROP FUNCTION m10_recovery.complete_outbox_event(bigint, text, boolean, text, integer);

-- Claims up to p_batch_size events that are unprocessed, due
-- (COALESCE(next_retry_at, process_after, created_at) <= now()) and either unclaimed or holding a
-- lease older than p_lease_seconds (M10_OUTBOX_LEASE_SECONDS, default 300). Oldest first,
-- FOR UPDATE SKIP LOCKED, so any number of processors can claim concurrently without a global
-- lock. Sets claimed_at = now(), claimed_by = p_processor_id; the lease outlives the transaction.
-- Rows are returned oldest first. NULL batch size / lease fall back to the defaults.
CREATE FUNCTION m10_recovery.claim_outbox_events(
    p_processor_id  text,
    p_batch_size    integer DEFAULT 10,
    p_lease_seconds integer DEFAULT 300
)
RETURNS TABLE(
    id             bigint,
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
           AND COALESCE(o.next_retry_at, o.process_after, o.created_at) <= now()
           AND (o.claimed_at IS NULL
                OR o.claimed_at < now() - make_interval(secs => COALESCE(p_lease_seconds, 300)))
         ORDER BY o.created_at, o.id
         LIMIT COALESCE(p_batch_size, 10)
           FOR UPDATE SKIP LOCKED
    ),
    claimed AS (
        UPDATE m10_recovery.outbox o
           SET claimed_at = now(),
               claimed_by = p_processor_id
          FROM picked
         WHERE o.id = picked.id
        RETURNING o.id, o.aggregate_type, o.aggregate_id, o.event_type, o.payload, o.retry_count,
                  o.created_at
    )
    SELECT c.id, c.aggregate_type, c.aggregate_id, c.event_type, c.payload, c.retry_count
      FROM claimed c
     ORDER BY c.created_at, c.id;
END;
$$;

-- Completes an event claimed by p_processor_id. Only the lease holder can complete it: any other
-- caller, an unknown id or an already processed event gets FALSE and changes nothing.
--   success: processed_at = now(), processed_by = p_processor_id, lease cleared.
--   failure: last_error = p_error, retry_count + 1, lease cleared, next attempt (next_retry_at and
--            process_after) at now() + delay. The delay is p_retry_delay_seconds (the processor's
--            exponential backoff with jitter) or, when NULL, least(30 * 2^retry_count, 3600)
--            seconds with the retry_count before this failure (the exponent is capped at 20,
--            which leaves the result unchanged and avoids float overflow).
-- Dead-lettering after OUTBOX_MAX_RETRIES is the processor's job, not this function's.
CREATE FUNCTION m10_recovery.complete_outbox_event(
    p_event_id            bigint,
    p_processor_id        text,
    p_success             boolean,
    p_error               text    DEFAULT NULL,
    p_retry_delay_seconds integer DEFAULT NULL
)
RETURNS boolean
LANGUAGE plpgsql
AS $$
DECLARE
    v_retry_count integer;
    v_due         timestamptz;
BEGIN
    IF p_success THEN
        UPDATE m10_recovery.outbox o
           SET processed_at = now(),
               processed_by = p_processor_id,
               claimed_at   = NULL,
               claimed_by   = NULL
         WHERE o.id = p_event_id
           AND o.processed_at IS NULL
           AND o.claimed_by = p_processor_id;
        RETURN FOUND;
    END IF;

    SELECT COALESCE(o.retry_count, 0) INTO v_retry_count
      FROM m10_recovery.outbox o
     WHERE o.id = p_event_id
       AND o.processed_at IS NULL
       AND o.claimed_by = p_processor_id
       FOR UPDATE;
    IF NOT FOUND THEN
        RETURN false;
    END IF;

    v_due := now() + make_interval(secs => COALESCE(
        p_retry_delay_seconds::double precision,
        least(30 * power(2::double precision, least(greatest(v_retry_count, 0), 20)), 3600)));

    UPDATE m10_recovery.outbox o
       SET last_error    = p_error,
           retry_count   = v_retry_count + 1,
           next_retry_at = v_due,
           process_after = v_due,
           claimed_at    = NULL,
           claimed_by    = NULL
     WHERE o.id = p_event_id;
    RETURN true;
END;
$$;

------------------------------------------------------------------------------------------------
-- dead_letter_archive
------------------------------------------------------------------------------------------------

ALTER TABLE m10_recovery.dead_letter_archive
    ADD COLUMN stream_msg_id text,
    ADD COLUMN stream_name text;

-- 035 back-filled stream_msg_id from dl_msg_id once, when the column was added.
UPDATE m10_recovery.dead_letter_archive SET stream_msg_id = dl_msg_id WHERE stream_msg_id IS NULL;

CREATE INDEX idx_dla_stream_msg_id ON m10_recovery.dead_letter_archive (stream_msg_id)
    WHERE stream_msg_id IS NOT NULL;

-- The handbook's column names. Generated, so writers keep writing reason / dead_lettered_at.
ALTER TABLE m10_recovery.dead_letter_archive
    ADD COLUMN failure_reason text GENERATED ALWAYS AS (reason) STORED,
    ADD COLUMN failed_at timestamptz GENERATED ALWAYS AS (COALESCE(dead_lettered_at, archived_at)) STORED;

-- "View recent dead letters" orders by failed_at.
CREATE INDEX idx_dla_failed_at ON m10_recovery.dead_letter_archive (failed_at DESC);

------------------------------------------------------------------------------------------------
-- recovery_candidates: explicit evaluation state (Decision 6)
------------------------------------------------------------------------------------------------

ALTER TABLE public.recovery_candidates
    ADD COLUMN evaluated_at timestamptz,
    ADD COLUMN evaluation_claimed_at timestamptz,
    ADD COLUMN evaluation_claimed_by text;

COMMENT ON COLUMN public.recovery_candidates.evaluated_at IS
    'When the rule engine evaluated this candidate; NULL = needs evaluation';
COMMENT ON COLUMN public.recovery_candidates.evaluation_claimed_at IS
    'Start of the current evaluation lease (stale leases may be taken over)';
COMMENT ON COLUMN public.recovery_candidates.evaluation_claimed_by IS
    'Worker holding the evaluation lease';

-- Work selection for the claim worker and the pending sweep: oldest unevaluated first.
CREATE INDEX idx_rc_needs_evaluation ON public.recovery_candidates (created_at)
    WHERE evaluated_at IS NULL;

-- Down Migration

DROP INDEX public.idx_rc_needs_evaluation;
ALTER TABLE public.recovery_candidates
    DROP COLUMN evaluation_claimed_by,
    DROP COLUMN evaluation_claimed_at,
    DROP COLUMN evaluated_at;

DROP INDEX m10_recovery.idx_dla_failed_at;
ALTER TABLE m10_recovery.dead_letter_archive
    DROP COLUMN failed_at,
    DROP COLUMN failure_reason;
DROP INDEX m10_recovery.idx_dla_stream_msg_id;
ALTER TABLE m10_recovery.dead_letter_archive
    DROP COLUMN stream_name,
    DROP COLUMN stream_msg_id;

DROP FUNCTION m10_recovery.complete_outbox_event(bigint, text, boolean, text, integer);
DROP FUNCTION m10_recovery.claim_outbox_events(text, integer, integer);

DROP TRIGGER trg_outbox_sync_retry_time ON m10_recovery.outbox;
DROP FUNCTION m10_recovery.sync_outbox_retry_time();
DROP TRIGGER trg_outbox_updated_at ON m10_recovery.outbox;
DROP FUNCTION m10_recovery.set_outbox_updated_at();

DROP INDEX m10_recovery.idx_outbox_claimed;
DROP INDEX m10_recovery.idx_outbox_due;
COMMENT ON COLUMN m10_recovery.outbox.next_retry_at IS NULL;
ALTER TABLE m10_recovery.outbox
    DROP COLUMN claimed_by,
    DROP COLUMN claimed_at,
    DROP COLUMN updated_at,
    DROP COLUMN process_after;

-- Restore the 022 versions (identical to 022_m10_production_hardening.sql).
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
