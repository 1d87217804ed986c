-- 029_m10_tenant_scoping
-- Candidates belong to a tenant (issue 11 item 11): recovery_candidates.tenant_id is the tenant of
-- the token that ingested the failure ('default' for rows written before this migration and for
-- the environment's built-in tokens). Every API read and write is scoped to it, the claim worker's
-- history (the success-rate learning) only counts the candidate's own tenant, and the success-rate
-- trigger also keeps per-tenant counts (m10_recovery.action_tenant_stats) for GET /actions.

-- Up Migration

ALTER TABLE public.recovery_candidates
    ADD COLUMN tenant_id text NOT NULL DEFAULT 'default',
    ADD CONSTRAINT recovery_candidates_tenant_id_check CHECK (char_length(tenant_id) BETWEEN 1 AND 256);

COMMENT ON COLUMN public.recovery_candidates.tenant_id IS
    'Tenant of the token that ingested the failure; the API never shows a row to another tenant';

-- The keyset pages of GET /candidates (newest first = id DESC within a tenant), all decisions
-- and one decision (the default lists the pending ones).
CREATE INDEX idx_rc_tenant_id ON public.recovery_candidates (tenant_id, id DESC);
CREATE INDEX idx_rc_tenant_decision ON public.recovery_candidates (tenant_id, decision, id DESC);
-- The claim worker's per-tenant history of reported outcomes.
CREATE INDEX idx_rc_tenant_outcomes ON public.recovery_candidates (tenant_id, error_code)
    WHERE execution_status IN ('succeeded', 'failed');

CREATE TABLE m10_recovery.action_tenant_stats (
    tenant_id               text        NOT NULL,
    action_id               integer     NOT NULL,
    total_applications      integer     NOT NULL DEFAULT 0,
    successful_applications integer     NOT NULL DEFAULT 0,
    updated_at              timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT action_tenant_stats_pkey PRIMARY KEY (tenant_id, action_id),
    CONSTRAINT action_tenant_stats_action_id_fkey FOREIGN KEY (action_id)
        REFERENCES m10_recovery.suggestion_action (id) ON DELETE CASCADE
);

COMMENT ON TABLE m10_recovery.action_tenant_stats IS
    'M10: applications and successes of each action per tenant (GET /actions shows the caller''s)';

-- As in 018, plus the per-tenant counts.
CREATE OR REPLACE FUNCTION m10_recovery.update_action_success_rate()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    v_hit integer;
BEGIN
    IF NEW.execution_status IN ('succeeded', 'failed') AND NEW.selected_action_id IS NOT NULL THEN
        v_hit := CASE WHEN NEW.execution_status = 'succeeded' THEN 1 ELSE 0 END;
        UPDATE m10_recovery.suggestion_action sa
           SET total_applications      = COALESCE(sa.total_applications, 0) + 1,
               successful_applications = COALESCE(sa.successful_applications, 0) + v_hit,
               success_rate            = (COALESCE(sa.successful_applications, 0) + v_hit)::real
                                         / (COALESCE(sa.total_applications, 0) + 1)::real,
               updated_at              = now()
         WHERE sa.id = NEW.selected_action_id;
        INSERT INTO m10_recovery.action_tenant_stats AS s (tenant_id, action_id, total_applications, successful_applications)
        VALUES (NEW.tenant_id, NEW.selected_action_id, 1, v_hit)
        ON CONFLICT (tenant_id, action_id) DO UPDATE
           SET total_applications      = s.total_applications + 1,
               successful_applications = s.successful_applications + v_hit,
               updated_at              = now();
    END IF;
    RETURN NEW;
END;
$$;

-- Down Migration

CREATE OR REPLACE FUNCTION m10_recovery.update_action_success_rate()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    v_hit integer;
BEGIN
    IF NEW.execution_status IN ('succeeded', 'failed') AND NEW.selected_action_id IS NOT NULL THEN
        v_hit := CASE WHEN NEW.execution_status = 'succeeded' THEN 1 ELSE 0 END;
        UPDATE m10_recovery.suggestion_action sa
           SET total_applications      = COALESCE(sa.total_applications, 0) + 1,
               successful_applications = COALESCE(sa.successful_applications, 0) + v_hit,
               success_rate            = (COALESCE(sa.successful_applications, 0) + v_hit)::real
                                         / (COALESCE(sa.total_applications, 0) + 1)::real,
               updated_at              = now()
         WHERE sa.id = NEW.selected_action_id;
    END IF;
    RETURN NEW;
END;
$$;

DROP TABLE m10_recovery.action_tenant_stats;
DROP INDEX public.idx_rc_tenant_outcomes;
DROP INDEX public.idx_rc_tenant_decision;
DROP INDEX public.idx_rc_tenant_id;
ALTER TABLE public.recovery_candidates DROP COLUMN tenant_id;
