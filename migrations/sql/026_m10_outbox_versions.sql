-- 026_m10_outbox_versions
-- Versions of one aggregate (issue 11, items 1 and 2). The 034 body of publish_outbox reused the
-- pending row of the same (aggregate_type, aggregate_id, event_type), even one a processor was
-- delivering: the newer payload was lost or reordered and every republish counted a retry.
--   outbox.version: the event's place in its aggregate's order, the id of its first publication
--           (a trigger fills it in); a replayed dead letter keeps the version it had, and the
--           idempotency key is derived from it, so retries and replays of a version share one key;
--   uq_outbox_pending: same name, now one pending row per (aggregate, version);
--   publish_outbox: same signature, always a new row; publishers of one aggregate take turns
--           (a transaction-scoped advisory lock), so versions follow commit order;
--   claim_outbox_events: same signature, claims only the oldest unprocessed version of an
--           aggregate, and only while no other version of it is leased.

-- Up Migration

ALTER TABLE m10_recovery.outbox ADD COLUMN version bigint;
UPDATE m10_recovery.outbox SET version = id;
ALTER TABLE m10_recovery.outbox ALTER COLUMN version SET NOT NULL;

COMMENT ON COLUMN m10_recovery.outbox.version IS
    'Order of the event within its aggregate: the id of its first publication (a replay keeps it); the idempotency key is derived from it';

CREATE FUNCTION m10_recovery.set_outbox_version()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    NEW.version := COALESCE(NEW.version, NEW.id);
    RETURN NEW;
END;
$$;

CREATE TRIGGER trg_outbox_version
    BEFORE INSERT ON m10_recovery.outbox
    FOR EACH ROW
    EXECUTE FUNCTION m10_recovery.set_outbox_version();

-- One pending row per version of an aggregate; also the claim's lookup of older or leased versions.
DROP INDEX m10_recovery.uq_outbox_pending;
CREATE UNIQUE INDEX uq_outbox_pending
    ON m10_recovery.outbox (aggregate_type, aggregate_id, version)
    WHERE processed_at IS NULL;

-- Every call is a new version (a new row, retry_count 0); nothing already written changes. The
-- advisory lock (released at commit) makes publishers of one aggregate take turns, so a version
-- committed later always has the higher id.
CREATE OR REPLACE FUNCTION m10_recovery.publish_outbox(
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
    PERFORM pg_advisory_xact_lock(hashtext('m10_recovery.outbox'), hashtext(p_aggregate_type || ':' || p_aggregate_id));
    INSERT INTO m10_recovery.outbox (aggregate_type, aggregate_id, event_type, payload)
    VALUES (p_aggregate_type, p_aggregate_id, p_event_type, p_payload)
    RETURNING id INTO v_id;

    RETURN v_id;
END;
$$;

-- As in 024 (due, unprocessed, unclaimed or lease expired, oldest first, SKIP LOCKED, lease
-- stamped), plus the order of an aggregate's versions: an event is claimed only when no older
-- version of its aggregate is unprocessed and no other version of it holds a live lease. So
-- versions are delivered one after the other, and a batch holds at most one per aggregate.
-- Returns each event's version as a last column (the processor derives the key from it).
DROP FUNCTION m10_recovery.claim_outbox_events(text, integer, integer);
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
    retry_count    integer,
    version        bigint
)
LANGUAGE plpgsql
AS $$
#variable_conflict use_column
DECLARE
    v_lease interval := make_interval(secs => COALESCE(p_lease_seconds, 300));
BEGIN
    RETURN QUERY
    WITH picked AS (
        SELECT o.id
          FROM m10_recovery.outbox o
         WHERE o.processed_at IS NULL
           AND COALESCE(o.next_retry_at, o.process_after, o.created_at) <= now()
           AND (o.claimed_at IS NULL OR o.claimed_at < now() - v_lease)
           AND NOT EXISTS (
                   SELECT 1
                     FROM m10_recovery.outbox e
                    WHERE e.aggregate_type = o.aggregate_type
                      AND e.aggregate_id = o.aggregate_id
                      AND e.processed_at IS NULL
                      AND e.id <> o.id
                      AND ((e.version, e.id) < (o.version, o.id) OR e.claimed_at >= now() - v_lease))
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
                  o.version, o.created_at
    )
    SELECT c.id, c.aggregate_type, c.aggregate_id, c.event_type, c.payload, c.retry_count, c.version
      FROM claimed c
     ORDER BY c.created_at, c.id;
END;
$$;

-- Down Migration

-- Restore the 024 claim (identical to 024_m10_leases_and_evaluation_state.sql).
DROP FUNCTION m10_recovery.claim_outbox_events(text, integer, integer);
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

-- Restore the 034 body (identical to 022_m10_production_hardening.sql).
CREATE OR REPLACE FUNCTION m10_recovery.publish_outbox(
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

-- Fails while an aggregate has two pending events of one type: deliver them (or dead-letter one)
-- before rolling back.
DROP INDEX m10_recovery.uq_outbox_pending;
CREATE UNIQUE INDEX uq_outbox_pending
    ON m10_recovery.outbox (aggregate_type, aggregate_id, event_type)
    WHERE processed_at IS NULL;

DROP TRIGGER trg_outbox_version ON m10_recovery.outbox;
DROP FUNCTION m10_recovery.set_outbox_version();
ALTER TABLE m10_recovery.outbox DROP COLUMN version;
