-- 020_m10_concurrent_indexes
-- Seven read-path indexes. node-pg-migrate runs each migration inside a transaction, where
-- CREATE INDEX CONCURRENTLY is not allowed, so they are built with a plain CREATE INDEX (as the
-- predecessor's 020 also did). On a large live table, build them CONCURRENTLY by hand first;
-- IF NOT EXISTS then makes this migration a no-op.
-- The predecessor's 020 also "created" a partial idx_rc_error_code, which was a no-op because
-- 017 already owns that name (non-partial); it is not repeated here.

-- Up Migration

CREATE INDEX IF NOT EXISTS idx_rc_confidence_desc
    ON public.recovery_candidates (confidence DESC NULLS LAST);

CREATE INDEX IF NOT EXISTS idx_rc_decision_created
    ON public.recovery_candidates (decision, created_at DESC);

CREATE INDEX IF NOT EXISTS idx_fm_error_code_created
    ON public.failure_matches (error_code, created_at DESC);

CREATE INDEX IF NOT EXISTS idx_sp_suggestion_created
    ON m10_recovery.suggestion_provenance (suggestion_id, created_at DESC);

CREATE INDEX IF NOT EXISTS idx_sp_event_created
    ON m10_recovery.suggestion_provenance (event_type, created_at DESC);

CREATE INDEX IF NOT EXISTS idx_si_suggestion_type
    ON m10_recovery.suggestion_input (suggestion_id, input_type);

CREATE INDEX IF NOT EXISTS idx_sa_type_priority
    ON m10_recovery.suggestion_action (action_type, priority DESC)
    WHERE is_active = true;

-- Down Migration

DROP INDEX m10_recovery.idx_sa_type_priority;
DROP INDEX m10_recovery.idx_si_suggestion_type;
DROP INDEX m10_recovery.idx_sp_event_created;
DROP INDEX m10_recovery.idx_sp_suggestion_created;
DROP INDEX public.idx_fm_error_code_created;
DROP INDEX public.idx_rc_decision_created;
DROP INDEX public.idx_rc_confidence_desc;
