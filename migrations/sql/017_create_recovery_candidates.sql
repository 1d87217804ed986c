-- 017_create_recovery_candidates
-- public.recovery_candidates (it stays in public: the runbooks query it unqualified), its audit
-- table, the updated_at trigger and the recovery_candidates_with_context view.

-- Up Migration

CREATE TABLE public.recovery_candidates (
    id                    serial       NOT NULL,
    failure_match_id      uuid         NOT NULL,
    suggestion            text         NOT NULL,
    matched_catalog_entry jsonb,
    confidence            real         NOT NULL,
    explain               jsonb        DEFAULT '{}'::jsonb,
    created_by            text,
    created_at            timestamptz  NOT NULL DEFAULT now(),
    approved_by_human     text,
    approved_at           timestamptz,
    decision              text         DEFAULT 'pending',
    review_note           text,
    occurrence_count      integer      NOT NULL DEFAULT 1,
    last_occurrence_at    timestamptz  NOT NULL DEFAULT now(),
    source                text,
    error_code            text,
    error_signature       text,
    updated_at            timestamptz  NOT NULL DEFAULT now(),
    CONSTRAINT recovery_candidates_pkey PRIMARY KEY (id),
    CONSTRAINT recovery_candidates_failure_match_id_key UNIQUE (failure_match_id),
    CONSTRAINT recovery_candidates_confidence_check CHECK (confidence >= 0 AND confidence <= 1),
    CONSTRAINT recovery_candidates_decision_check
        CHECK (decision IN ('pending', 'approved', 'rejected'))
);

-- failure_match_id is a deliberate soft link to failure_matches.id: no foreign key.
COMMENT ON TABLE public.recovery_candidates IS
    'M10: recovery suggestions, one row per failure (upserted, occurrence_count counts repeats)';
COMMENT ON COLUMN public.recovery_candidates.failure_match_id IS
    'Soft link to failure_matches.id (no FK by design)';
COMMENT ON COLUMN public.recovery_candidates.confidence IS 'Suggestion confidence, 0..1';
COMMENT ON COLUMN public.recovery_candidates.explain IS 'Why the suggestion was made';
COMMENT ON COLUMN public.recovery_candidates.occurrence_count IS 'How often this failure was seen';

CREATE INDEX idx_rc_decision ON public.recovery_candidates (decision);
CREATE INDEX idx_rc_last_occurrence_at ON public.recovery_candidates (last_occurrence_at DESC);
CREATE INDEX idx_rc_confidence ON public.recovery_candidates (confidence DESC);
CREATE INDEX idx_rc_created_at ON public.recovery_candidates (created_at DESC);
-- Not partial: 020's partial re-definition under the same name was a no-op in the predecessor.
CREATE INDEX idx_rc_error_code ON public.recovery_candidates (error_code);
CREATE INDEX idx_rc_pending ON public.recovery_candidates (created_at DESC)
    WHERE decision = 'pending';

CREATE TABLE public.recovery_candidates_audit (
    id           serial      NOT NULL,
    candidate_id integer     NOT NULL,
    action       text        NOT NULL,
    actor        text,
    old_decision text,
    new_decision text,
    note         text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT recovery_candidates_audit_pkey PRIMARY KEY (id),
    CONSTRAINT recovery_candidates_audit_candidate_id_fkey FOREIGN KEY (candidate_id)
        REFERENCES public.recovery_candidates (id) ON DELETE CASCADE
);

COMMENT ON TABLE public.recovery_candidates_audit IS
    'M10: audit trail of decisions on recovery candidates (append-only by convention)';

CREATE INDEX idx_rca_candidate_id ON public.recovery_candidates_audit (candidate_id);
CREATE INDEX idx_rca_created_at ON public.recovery_candidates_audit (created_at DESC);

CREATE FUNCTION public.update_recovery_candidates_updated_at()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;

CREATE TRIGGER trg_recovery_candidates_updated_at
    BEFORE UPDATE ON public.recovery_candidates
    FOR EACH ROW
    EXECUTE FUNCTION public.update_recovery_candidates_updated_at();

-- error_code here comes from failure_matches, not from recovery_candidates.
CREATE VIEW public.recovery_candidates_with_context AS
SELECT
    rc.id,
    rc.failure_match_id,
    rc.suggestion,
    rc.confidence,
    rc.explain,
    rc.decision,
    rc.occurrence_count,
    rc.last_occurrence_at,
    rc.created_at,
    rc.approved_by_human,
    rc.approved_at,
    rc.review_note,
    fm.error_code,
    fm.error_message,
    fm.category,
    fm.severity,
    fm.is_retryable,
    fm.tenant_id,
    fm.skill_id
FROM public.recovery_candidates rc
LEFT JOIN public.failure_matches fm ON rc.failure_match_id = fm.id::uuid
ORDER BY rc.created_at DESC;

-- Down Migration

DROP VIEW public.recovery_candidates_with_context;
DROP TRIGGER trg_recovery_candidates_updated_at ON public.recovery_candidates;
DROP FUNCTION public.update_recovery_candidates_updated_at();
DROP TABLE public.recovery_candidates_audit;
DROP TABLE public.recovery_candidates;
