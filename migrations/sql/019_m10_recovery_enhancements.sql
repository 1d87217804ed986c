-- 019_m10_recovery_enhancements
-- recovery_candidates.idempotency_key; suggestion_input.recovery_candidate_id; the mv_top_pending
-- materialized view (+ unique index for REFRESH ... CONCURRENTLY); three indexes; retention_jobs
-- (+3 seed rows); the two *_archive tables; refresh_mv_top_pending(). No role grants (Decision 7).

-- Up Migration

-- Already created by 015; repeated (IF NOT EXISTS) as in the predecessor's 019.
CREATE EXTENSION IF NOT EXISTS pgcrypto;

ALTER TABLE public.recovery_candidates
    ADD COLUMN idempotency_key uuid
        CONSTRAINT recovery_candidates_idempotency_key_key UNIQUE;

COMMENT ON COLUMN public.recovery_candidates.idempotency_key IS
    'Optional client-supplied key that deduplicates ingest requests';

-- Cross-reference only, deliberately no FK.
ALTER TABLE m10_recovery.suggestion_input ADD COLUMN recovery_candidate_id integer;

CREATE MATERIALIZED VIEW m10_recovery.mv_top_pending AS
SELECT
    rc.id                              AS candidate_id,
    rc.failure_match_id,
    rc.suggestion                      AS suggestion_text,
    COALESCE(rc.confidence, 0.0)       AS confidence,
    COALESCE(rc.occurrence_count, 1)   AS occurrence_count,
    rc.created_at,
    rc.error_code,
    rc.source,
    sa.action_code,
    sa.action_type,
    sa.name                            AS action_name,
    COALESCE(sa.success_rate, 0.0)     AS action_success_rate,
    (SELECT count(*) FROM m10_recovery.suggestion_input si
      WHERE si.suggestion_id = rc.id)  AS input_count,
    (SELECT count(*) FROM m10_recovery.suggestion_provenance sp
      WHERE sp.suggestion_id = rc.id)  AS provenance_count
FROM public.recovery_candidates rc
LEFT JOIN m10_recovery.suggestion_action sa ON rc.selected_action_id = sa.id
WHERE rc.decision = 'pending'
ORDER BY COALESCE(rc.confidence, 0.0) DESC, COALESCE(rc.occurrence_count, 1) DESC
WITH DATA;

-- Required for REFRESH MATERIALIZED VIEW CONCURRENTLY.
CREATE UNIQUE INDEX idx_mv_top_pending_candidate ON m10_recovery.mv_top_pending (candidate_id);

COMMENT ON MATERIALIZED VIEW m10_recovery.mv_top_pending IS
    'Top pending recovery candidates for dashboards (row order is not guaranteed: add ORDER BY). Refresh with: REFRESH MATERIALIZED VIEW CONCURRENTLY m10_recovery.mv_top_pending;';

-- Created before the archive tables so that LIKE ... INCLUDING ALL copies it.
CREATE INDEX idx_si_unevaluated_created ON m10_recovery.suggestion_input (created_at)
    WHERE normalized_value IS NULL;

CREATE INDEX idx_rc_executing ON public.recovery_candidates (executed_at)
    WHERE execution_status = 'executing';

CREATE INDEX idx_rc_pending_high_confidence
    ON public.recovery_candidates (confidence DESC, created_at DESC)
    WHERE decision = 'pending' AND confidence >= 0.5;

CREATE TABLE m10_recovery.retention_jobs (
    id             serial      NOT NULL,
    name           text        NOT NULL,
    last_run       timestamptz,
    rows_archived  integer     DEFAULT 0,
    rows_deleted   integer     DEFAULT 0,
    retention_days integer     DEFAULT 90,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT retention_jobs_pkey PRIMARY KEY (id),
    CONSTRAINT retention_jobs_name_key UNIQUE (name)
);

COMMENT ON TABLE m10_recovery.retention_jobs IS 'Retention/archive job settings and last results';

INSERT INTO m10_recovery.retention_jobs (name, retention_days)
VALUES
    ('provenance_archive', 90),
    ('candidates_archive', 180),
    ('inputs_archive', 90)
ON CONFLICT (name) DO NOTHING;

-- LIKE ... INCLUDING ALL reproduces the predecessor exactly: same columns, defaults (the id default
-- shares the source table's sequence; the archive job always supplies id), CHECKs under the
-- source's names, indexes under generated names; no foreign keys.
CREATE TABLE m10_recovery.suggestion_provenance_archive (
    LIKE m10_recovery.suggestion_provenance INCLUDING ALL,
    archived_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE m10_recovery.suggestion_input_archive (
    LIKE m10_recovery.suggestion_input INCLUDING ALL,
    archived_at timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE m10_recovery.suggestion_provenance_archive IS
    'Aged-out suggestion_provenance rows (see retention_jobs)';
COMMENT ON TABLE m10_recovery.suggestion_input_archive IS
    'Aged-out suggestion_input rows (see retention_jobs)';

-- Errors propagate; nothing is logged (refresh_mv_tracked is the logged variant).
CREATE FUNCTION m10_recovery.refresh_mv_top_pending()
RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
    REFRESH MATERIALIZED VIEW CONCURRENTLY m10_recovery.mv_top_pending;
END;
$$;

-- Down Migration

DROP FUNCTION m10_recovery.refresh_mv_top_pending();
DROP TABLE m10_recovery.suggestion_input_archive;
DROP TABLE m10_recovery.suggestion_provenance_archive;
DROP TABLE m10_recovery.retention_jobs;
DROP INDEX public.idx_rc_pending_high_confidence;
DROP INDEX public.idx_rc_executing;
DROP INDEX m10_recovery.idx_si_unevaluated_created;
DROP MATERIALIZED VIEW m10_recovery.mv_top_pending;
ALTER TABLE m10_recovery.suggestion_input DROP COLUMN recovery_candidate_id;
ALTER TABLE public.recovery_candidates DROP COLUMN idempotency_key;
-- pgcrypto belongs to 015 and is left in place here.
