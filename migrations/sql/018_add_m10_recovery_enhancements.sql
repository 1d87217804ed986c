-- 018_add_m10_recovery_enhancements
-- Schema m10_recovery; the action catalog (+7 seed rows), structured inputs and provenance;
-- five new recovery_candidates columns; the action success-rate trigger; suggestions_full_context.
-- Creation order matters (cross-schema references): suggestion_action, then the
-- recovery_candidates.selected_action_id FK, then the tables whose FKs point back to
-- public.recovery_candidates.

-- Up Migration

CREATE SCHEMA IF NOT EXISTS m10_recovery;

CREATE TABLE m10_recovery.suggestion_action (
    id                      serial      NOT NULL,
    action_code             text        NOT NULL,
    name                    text        NOT NULL,
    description             text,
    action_type             text        NOT NULL,
    template                jsonb       NOT NULL DEFAULT '{}'::jsonb,
    applies_to_error_codes  text[]      DEFAULT '{}'::text[],
    applies_to_skills       text[]      DEFAULT '{}'::text[],
    preconditions           jsonb       DEFAULT '{}'::jsonb,
    success_rate            real        DEFAULT 0.0,
    total_applications      integer     DEFAULT 0,
    successful_applications integer     DEFAULT 0,
    is_automated            boolean     DEFAULT false,
    requires_approval       boolean     DEFAULT true,
    priority                integer     DEFAULT 50,
    is_active               boolean     DEFAULT true,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    created_by              text,
    version                 integer     DEFAULT 1,
    CONSTRAINT suggestion_action_pkey PRIMARY KEY (id),
    CONSTRAINT suggestion_action_action_code_key UNIQUE (action_code),
    CONSTRAINT suggestion_action_action_type_check CHECK (action_type IN (
        'retry', 'fallback', 'escalate', 'notify', 'reconfigure', 'rollback', 'manual', 'skip')),
    CONSTRAINT suggestion_action_success_rate_check CHECK (success_rate >= 0 AND success_rate <= 1),
    CONSTRAINT suggestion_action_priority_check CHECK (priority >= 0 AND priority <= 100)
);

COMMENT ON TABLE m10_recovery.suggestion_action IS
    'M10: catalog of recovery actions with templates and effectiveness tracking';
COMMENT ON COLUMN m10_recovery.suggestion_action.success_rate IS
    'successful_applications / total_applications, kept by trg_update_action_success';

CREATE INDEX idx_sa_action_code ON m10_recovery.suggestion_action (action_code);
CREATE INDEX idx_sa_action_type ON m10_recovery.suggestion_action (action_type);
CREATE INDEX idx_sa_active ON m10_recovery.suggestion_action (is_active) WHERE is_active = true;
CREATE INDEX idx_sa_priority ON m10_recovery.suggestion_action (priority DESC) WHERE is_active = true;
CREATE INDEX idx_sa_error_codes ON m10_recovery.suggestion_action USING gin (applies_to_error_codes);
CREATE INDEX idx_sa_skills ON m10_recovery.suggestion_action USING gin (applies_to_skills);

ALTER TABLE public.recovery_candidates
    ADD COLUMN selected_action_id integer
        CONSTRAINT recovery_candidates_selected_action_id_fkey
        REFERENCES m10_recovery.suggestion_action (id),
    ADD COLUMN rules_evaluated jsonb DEFAULT '[]'::jsonb,
    ADD COLUMN execution_status text
        CONSTRAINT recovery_candidates_execution_status_check CHECK (
            execution_status IS NULL OR execution_status IN (
                'pending', 'executing', 'succeeded', 'failed', 'rolled_back', 'skipped')),
    ADD COLUMN executed_at timestamptz,
    ADD COLUMN execution_result jsonb;

COMMENT ON COLUMN public.recovery_candidates.selected_action_id IS
    'Action chosen from m10_recovery.suggestion_action';
COMMENT ON COLUMN public.recovery_candidates.rules_evaluated IS
    'Rules evaluated with their scores [{rule_id, score, matched}]';
COMMENT ON COLUMN public.recovery_candidates.execution_status IS
    'Outcome of the action, reported by the agent platform';

CREATE INDEX idx_rc_execution_status ON public.recovery_candidates (execution_status)
    WHERE execution_status IS NOT NULL;

CREATE TABLE m10_recovery.suggestion_input (
    id               serial      NOT NULL,
    suggestion_id    integer     NOT NULL,
    input_type       text        NOT NULL,
    raw_value        text        NOT NULL,
    normalized_value text,
    parsed_data      jsonb       DEFAULT '{}'::jsonb,
    confidence       real        DEFAULT 1.0,
    weight           real        DEFAULT 1.0,
    source           text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT suggestion_input_pkey PRIMARY KEY (id),
    CONSTRAINT suggestion_input_input_type_check CHECK (input_type IN (
        'error_code', 'error_message', 'stack_trace', 'skill_context', 'tenant_context',
        'historical_pattern')),
    CONSTRAINT suggestion_input_confidence_check CHECK (confidence >= 0 AND confidence <= 1),
    CONSTRAINT suggestion_input_weight_check CHECK (weight >= 0),
    CONSTRAINT fk_si_suggestion FOREIGN KEY (suggestion_id)
        REFERENCES public.recovery_candidates (id) ON DELETE CASCADE
);

COMMENT ON TABLE m10_recovery.suggestion_input IS
    'M10: structured inputs that contributed to a recovery suggestion';

CREATE INDEX idx_si_suggestion_id ON m10_recovery.suggestion_input (suggestion_id);
CREATE INDEX idx_si_input_type ON m10_recovery.suggestion_input (input_type);
CREATE INDEX idx_si_normalized ON m10_recovery.suggestion_input (normalized_value)
    WHERE normalized_value IS NOT NULL;

CREATE TABLE m10_recovery.suggestion_provenance (
    id                serial      NOT NULL,
    suggestion_id     integer     NOT NULL,
    event_type        text        NOT NULL,
    details           jsonb       NOT NULL DEFAULT '{}'::jsonb,
    rule_id           text,
    action_id         integer,
    confidence_before real,
    confidence_after  real,
    actor             text        NOT NULL DEFAULT 'system',
    actor_type        text        NOT NULL DEFAULT 'system',
    created_at        timestamptz NOT NULL DEFAULT now(),
    duration_ms       integer,
    CONSTRAINT suggestion_provenance_pkey PRIMARY KEY (id),
    CONSTRAINT suggestion_provenance_event_type_check CHECK (event_type IN (
        'created', 'input_added', 'rule_evaluated', 'action_selected', 'confidence_updated',
        'approved', 'rejected', 'executed', 'success', 'failure', 'rolled_back',
        'manual_override')),
    CONSTRAINT suggestion_provenance_actor_type_check
        CHECK (actor_type IN ('system', 'human', 'agent')),
    CONSTRAINT suggestion_provenance_action_id_fkey FOREIGN KEY (action_id)
        REFERENCES m10_recovery.suggestion_action (id),
    CONSTRAINT fk_sp_suggestion FOREIGN KEY (suggestion_id)
        REFERENCES public.recovery_candidates (id) ON DELETE CASCADE
);

COMMENT ON TABLE m10_recovery.suggestion_provenance IS
    'M10: lineage of how a recovery suggestion was generated and processed';

CREATE INDEX idx_sp_suggestion_id ON m10_recovery.suggestion_provenance (suggestion_id);
CREATE INDEX idx_sp_event_type ON m10_recovery.suggestion_provenance (event_type);
CREATE INDEX idx_sp_created_at ON m10_recovery.suggestion_provenance (created_at DESC);
CREATE INDEX idx_sp_actor ON m10_recovery.suggestion_provenance (actor);
CREATE INDEX idx_sp_rule_id ON m10_recovery.suggestion_provenance (rule_id)
    WHERE rule_id IS NOT NULL;

-- Every transition into succeeded/failed counts as one application of the selected action
-- (repeats such as failed -> pending -> failed count again, as in the predecessor).
CREATE FUNCTION m10_recovery.update_action_success_rate()
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

CREATE TRIGGER trg_update_action_success
    AFTER UPDATE OF execution_status ON public.recovery_candidates
    FOR EACH ROW
    WHEN (OLD.execution_status IS DISTINCT FROM NEW.execution_status)
    EXECUTE FUNCTION m10_recovery.update_action_success_rate();

-- Seed catalog, in this order so a fresh database numbers them 1..7.
INSERT INTO m10_recovery.suggestion_action
    (action_code, name, description, action_type, template, applies_to_error_codes,
     is_automated, requires_approval, priority)
VALUES
    ('retry_exponential', 'Retry with Exponential Backoff',
     'Retry the operation with exponential backoff and jitter', 'retry',
     '{"max_retries": 3, "base_delay_ms": 1000, "max_delay_ms": 30000, "jitter": true}',
     ARRAY['TIMEOUT', 'HTTP_5XX', 'CONNECTION_ERROR', 'RATE_LIMITED'], true, false, 80),
    ('fallback_model', 'Fallback to Alternative Model',
     'Switch to a fallback LLM model when primary fails', 'fallback',
     '{"fallback_model": "gpt-4o-mini", "preserve_context": true}',
     ARRAY['BUDGET_EXCEEDED', 'RATE_LIMITED', 'MODEL_UNAVAILABLE'], true, false, 70),
    ('circuit_breaker', 'Enable Circuit Breaker',
     'Activate circuit breaker to prevent cascade failures', 'reconfigure',
     '{"cooldown_seconds": 60, "failure_threshold": 5}',
     ARRAY['HTTP_5XX', 'CONNECTION_ERROR', 'TIMEOUT'], true, true, 60),
    ('notify_ops', 'Notify Operations Team',
     'Send alert to operations team for manual review', 'notify',
     '{"channel": "slack", "priority": "high", "include_context": true}',
     ARRAY['PERMISSION_DENIED', 'CONFIG_ERROR', 'UNKNOWN'], true, false, 50),
    ('rollback_state', 'Rollback to Last Checkpoint',
     'Rollback agent state to last known good checkpoint', 'rollback',
     '{"checkpoint_strategy": "last_successful"}',
     ARRAY['STATE_CORRUPTION', 'CONSISTENCY_ERROR'], false, true, 40),
    ('manual_intervention', 'Request Manual Intervention',
     'Flag for human operator review and decision', 'manual',
     '{"escalation_path": "recovery_reviewer", "sla_hours": 24}',
     ARRAY['UNKNOWN', 'CRITICAL_ERROR'], false, true, 30),
    ('skip_task', 'Skip and Continue',
     'Skip the failed task and continue with workflow', 'skip',
     '{"record_skip": true, "notify": true}',
     ARRAY['NON_CRITICAL', 'OPTIONAL_TASK'], true, true, 20)
ON CONFLICT (action_code) DO NOTHING;

CREATE VIEW m10_recovery.suggestions_full_context AS
SELECT
    rc.id,
    rc.failure_match_id,
    rc.suggestion,
    rc.confidence,
    rc.explain,
    rc.decision,
    rc.occurrence_count,
    rc.created_at,
    rc.approved_by_human,
    rc.approved_at,
    rc.execution_status,
    rc.executed_at,
    rc.selected_action_id,
    sa.action_code,
    sa.name         AS action_name,
    sa.action_type,
    sa.success_rate AS action_success_rate,
    (SELECT count(*) FROM m10_recovery.suggestion_input si
      WHERE si.suggestion_id = rc.id)      AS input_count,
    (SELECT count(*) FROM m10_recovery.suggestion_provenance sp
      WHERE sp.suggestion_id = rc.id)      AS provenance_count
FROM public.recovery_candidates rc
LEFT JOIN m10_recovery.suggestion_action sa ON rc.selected_action_id = sa.id
ORDER BY rc.created_at DESC;

-- Down Migration

DROP VIEW m10_recovery.suggestions_full_context;
DROP TRIGGER trg_update_action_success ON public.recovery_candidates;
DROP FUNCTION m10_recovery.update_action_success_rate();
DROP TABLE m10_recovery.suggestion_provenance;
DROP TABLE m10_recovery.suggestion_input;
DROP INDEX public.idx_rc_execution_status;
ALTER TABLE public.recovery_candidates
    DROP COLUMN execution_result,
    DROP COLUMN executed_at,
    DROP COLUMN execution_status,
    DROP COLUMN rules_evaluated,
    DROP COLUMN selected_action_id;
DROP TABLE m10_recovery.suggestion_action;
-- Later migrations' Downs have removed everything else; RESTRICT so a stray object is reported
-- instead of silently dropped.
DROP SCHEMA m10_recovery RESTRICT;
