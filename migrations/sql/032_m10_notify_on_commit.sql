-- 032_m10_notify_on_commit
-- Push, not poll (issue 16): a committed outbox event wakes a waiting outbox processor, and a
-- committed work_queue item a waiting claim worker, at once.
--   notify_outbox(): NOTIFY m10_outbox (empty payload). PostgreSQL delivers it on commit and folds
--           identical notifications of one transaction into one, so a transaction publishing many
--           events wakes the listeners once; a rolled-back one wakes nobody;
--   trg_outbox_notify_insert: after every INSERT statement (publish_outbox, a replayed dead letter).
--           A claim given back does not notify: a processor releases events its throttle cannot
--           take yet, and a notification would hand them straight back to it (a hot loop).
--   notify_work(), trg_work_queue_notify_insert: NOTIFY m10_work after every work_queue INSERT
--           statement (enqueue_work: ingest's fallback while Redis is down, the pending sweep).
-- The processors LISTEN on m10_outbox, the claim workers on m10_work; OUTBOX_POLL_INTERVAL and
-- RECOVERY_WORKER_POLL_INTERVAL remain their safety nets (scheduled retries, process_after and
-- claims given back come due without a notification).

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

CREATE FUNCTION m10_recovery.notify_work()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM pg_notify('m10_work', '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER trg_work_queue_notify_insert
    AFTER INSERT ON m10_recovery.work_queue
    FOR EACH STATEMENT
    EXECUTE FUNCTION m10_recovery.notify_work();

-- Down Migration

DROP TRIGGER trg_work_queue_notify_insert ON m10_recovery.work_queue;
DROP FUNCTION m10_recovery.notify_work();

DROP TRIGGER trg_outbox_notify_insert ON m10_recovery.outbox;
DROP FUNCTION m10_recovery.notify_outbox();
