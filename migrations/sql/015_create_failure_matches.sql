-- 015_create_failure_matches
-- M9 failure persistence: public.failure_matches (incl. the 015b hardening columns, indexes and
-- updated_at trigger) and the two M9 views. M10 does not depend on anyone writing to this table;
-- it exists because public.recovery_candidates_with_context joins it (DB_CONTRACT Decision 8).

-- Up Migration

-- pgcrypto first (DB_CONTRACT Decision 1 / §2.2). gen_random_uuid() is built in since PG 13, the
-- extension is kept for parity with the predecessor and for callers that use its other functions.
CREATE EXTENSION IF NOT EXISTS pgcrypto;

CREATE TABLE public.failure_matches (
    id                  uuid             NOT NULL DEFAULT gen_random_uuid(),
    run_id              text             NOT NULL,
    tenant_id           text,
    error_code          text             NOT NULL,
    error_message       text,
    catalog_entry_id    text,
    match_type          text             NOT NULL DEFAULT 'unknown',
    confidence_score    double precision NOT NULL DEFAULT 0.0,
    category            text,
    severity            text,
    is_retryable        boolean          DEFAULT false,
    recovery_mode       text,
    recovery_suggestion text,
    recovery_attempted  boolean          DEFAULT false,
    recovery_succeeded  boolean          DEFAULT false,
    skill_id            text,
    step_index          integer,
    context_json        jsonb            DEFAULT '{}'::jsonb,
    created_at          timestamptz      NOT NULL DEFAULT now(),
    updated_at          timestamptz      NOT NULL DEFAULT now(),
    -- 015b
    recovered_at        timestamptz,
    recovered_by        text,
    recovery_notes      text,
    CONSTRAINT failure_matches_pkey PRIMARY KEY (id)
);

COMMENT ON TABLE public.failure_matches IS 'M9: persistent storage for failure catalog matches';

-- 015 indexes
CREATE INDEX idx_fm_run_id ON public.failure_matches (run_id);
CREATE INDEX idx_fm_tenant_id ON public.failure_matches (tenant_id);
CREATE INDEX idx_fm_error_code ON public.failure_matches (error_code);
CREATE INDEX idx_fm_catalog_entry ON public.failure_matches (catalog_entry_id);
CREATE INDEX idx_fm_created_at ON public.failure_matches (created_at DESC);
CREATE INDEX idx_fm_category ON public.failure_matches (category);
CREATE INDEX idx_fm_unmatched ON public.failure_matches (created_at DESC)
    WHERE catalog_entry_id IS NULL;
CREATE INDEX idx_fm_recovery_pending ON public.failure_matches (created_at DESC)
    WHERE recovery_attempted = false AND is_retryable = true;

-- 015b indexes
CREATE INDEX idx_fm_tenant_created ON public.failure_matches (tenant_id, created_at DESC)
    WHERE tenant_id IS NOT NULL;
CREATE INDEX idx_fm_recovery_dashboard
    ON public.failure_matches (recovery_mode, recovery_attempted, recovery_succeeded)
    WHERE recovery_mode IS NOT NULL;
CREATE INDEX idx_fm_recent_misses ON public.failure_matches (created_at DESC)
    WHERE catalog_entry_id IS NULL;

-- 015b updated_at trigger
CREATE FUNCTION public.update_failure_matches_updated_at()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;

CREATE TRIGGER trg_failure_matches_updated_at
    BEFORE UPDATE ON public.failure_matches
    FOR EACH ROW
    EXECUTE FUNCTION public.update_failure_matches_updated_at();

-- M9 view: unmatched failures of the last 7 days seen at least 3 times (catalog expansion input).
CREATE VIEW public.failure_pattern_candidates AS
SELECT
    fm.error_code,
    fm.error_message,
    count(*)         AS occurrence_count,
    max(fm.created_at) AS last_seen,
    min(fm.created_at) AS first_seen,
    array_agg(DISTINCT fm.skill_id)  FILTER (WHERE fm.skill_id IS NOT NULL)  AS affected_skills,
    array_agg(DISTINCT fm.tenant_id) FILTER (WHERE fm.tenant_id IS NOT NULL) AS affected_tenants
FROM public.failure_matches fm
WHERE fm.catalog_entry_id IS NULL
  AND fm.created_at > now() - interval '7 days'
GROUP BY fm.error_code, fm.error_message
HAVING count(*) >= 3
ORDER BY count(*) DESC;

COMMENT ON VIEW public.failure_pattern_candidates IS
    'M9: unmatched failures aggregated for catalog expansion';

-- M9 view: per-tenant counters plus a grand-total row (ROLLUP); the total row and rows without a
-- tenant both report tenant_id 'global'.
CREATE VIEW public.failure_match_metrics AS
SELECT
    COALESCE(fm.tenant_id, 'global') AS tenant_id,
    count(*) FILTER (WHERE fm.catalog_entry_id IS NOT NULL)                          AS hits_total,
    count(*) FILTER (WHERE fm.catalog_entry_id IS NULL)                              AS misses_total,
    count(*) FILTER (WHERE fm.recovery_succeeded = true)                             AS recovery_success_total,
    count(*) FILTER (WHERE fm.recovery_attempted = true AND fm.recovery_succeeded = false)
                                                                                     AS recovery_failure_total,
    count(*) FILTER (WHERE fm.created_at > now() - interval '1 hour')                AS matches_1h,
    count(*) FILTER (WHERE fm.created_at > now() - interval '24 hours')              AS matches_24h,
    count(*) FILTER (WHERE fm.is_retryable = true)                                   AS retryable_total,
    count(*) FILTER (WHERE fm.category = 'TRANSIENT')                                AS transient_total,
    count(*) FILTER (WHERE fm.category = 'PERMANENT')                                AS permanent_total
FROM public.failure_matches fm
GROUP BY ROLLUP (fm.tenant_id);

COMMENT ON VIEW public.failure_match_metrics IS 'M9: aggregated failure metrics for Prometheus';

-- Down Migration

DROP VIEW public.failure_match_metrics;
DROP VIEW public.failure_pattern_candidates;
DROP TRIGGER trg_failure_matches_updated_at ON public.failure_matches;
DROP FUNCTION public.update_failure_matches_updated_at();
DROP TABLE public.failure_matches;
-- This migration installed pgcrypto; rolling the whole chain back removes it too (no leftovers).
-- Nothing in the M10 schema depends on it (gen_random_uuid() is core since PG 13).
DROP EXTENSION IF EXISTS pgcrypto;
