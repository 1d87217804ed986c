-- 032_m10_outbox_notify
-- Push, not poll (issue 16): a committed outbox event wakes a waiting processor at once.
--   notify_outbox(): NOTIFY m10_outbox (empty payload). PostgreSQL delivers it on commit and folds
--           identical notifications of one transaction into one, so a transaction publishing many
--           events wakes the listeners once; a rolled-back one wakes nobody;
--   trg_outbox_notify_insert: after every INSERT statement (publish_outbox, a replayed dead letter);
--   trg_outbox_notify_release: after a claim is given back while the event is due (a processor
--           stopping releases its unstarted claims), so another processor takes it at once.
-- The processors LISTEN on m10_outbox; OUTBOX_POLL_INTERVAL remains their safety net (scheduled
-- retries and process_after come due without a notification).

-- Up Migration

CREATE FUNCTION m10_recovery.notify_outbox()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM pg_notify('m10_outbox', '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER trg_outbox_notify_insert
    AFTER INSERT ON m10_recovery.outbox
    FOR EACH STATEMENT
    EXECUTE FUNCTION m10_recovery.notify_outbox();

CREATE TRIGGER trg_outbox_notify_release
    AFTER UPDATE OF claimed_at ON m10_recovery.outbox
    FOR EACH ROW
    WHEN (OLD.claimed_at IS NOT NULL AND NEW.claimed_at IS NULL AND NEW.processed_at IS NULL
          AND COALESCE(NEW.next_retry_at, NEW.process_after, NEW.created_at) <= now())
    EXECUTE FUNCTION m10_recovery.notify_outbox();

-- Down Migration

DROP TRIGGER trg_outbox_notify_release ON m10_recovery.outbox;
DROP TRIGGER trg_outbox_notify_insert ON m10_recovery.outbox;
DROP FUNCTION m10_recovery.notify_outbox();
