-- 030_m10_event_ledger
-- The event ledger of the Phase 7 runbook (seed 004, issue 12): receivers of M10's events (webhook,
-- NATS) record each event they handle per consumer group, so a redelivered or replayed event takes
-- effect once. @m10/consumer's ensureIdempotentProcessing writes it in the receiver's transaction:
-- a row is 'processed' only if the receiver's work committed with it; a failure is recorded as
-- 'failed' (with the error) and a later delivery runs the work again. cleanup_event_ledger() removes
-- entries older than 30 days (the seed's weekly maintenance) and returns how many.

-- Up Migration

CREATE TABLE public.event_ledger (
    id             bigserial   PRIMARY KEY,
    event_id       text        NOT NULL,
    event_type     text        NOT NULL,
    consumer_group text        NOT NULL,
    status         text        NOT NULL,
    attempts       integer     NOT NULL DEFAULT 1,
    result         jsonb,
    error_message  text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    processed_at   timestamptz,
    CONSTRAINT event_ledger_status_check CHECK (status IN ('processing', 'processed', 'failed')),
    CONSTRAINT event_ledger_attempts_check CHECK (attempts >= 1),
    CONSTRAINT uq_event_ledger_event_group UNIQUE (event_id, consumer_group)
);

CREATE INDEX idx_event_ledger_created_at ON public.event_ledger (created_at);
CREATE INDEX idx_event_ledger_group_status ON public.event_ledger (consumer_group, status);

COMMENT ON TABLE public.event_ledger IS
    'Phase 7: one row per (event, consumer group) a receiver of M10 events handled; processed rows make redeliveries no-ops';

CREATE FUNCTION public.cleanup_event_ledger(p_retention_days integer DEFAULT 30)
RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
    v_deleted integer;
BEGIN
    DELETE FROM public.event_ledger
     WHERE created_at < now() - make_interval(days => p_retention_days);
    GET DIAGNOSTICS v_deleted = ROW_COUNT;
    RETURN v_deleted;
END;
$$;

COMMENT ON FUNCTION public.cleanup_event_ledger(integer) IS
    'Phase 7: removes event_ledger entries older than p_retention_days (30) days; returns the count';

-- Down Migration

DROP FUNCTION IF EXISTS public.cleanup_event_ledger(integer);
DROP TABLE IF EXISTS public.event_ledger;
