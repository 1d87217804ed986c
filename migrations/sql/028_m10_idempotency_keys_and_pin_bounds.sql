-- 028_m10_idempotency_keys_and_pin_bounds
-- Issue 11, items 9 and 10.
-- public.recovery_candidate_idempotency_keys: every idempotency key a candidate has seen (the
-- IETF Idempotency-Key draft: the same key replays, a different key on a known failure is one new
-- occurrence, counted once). recovery_candidates.idempotency_key stays the candidate's first key.
-- system.memory_pins: tenant_id and key bounded in UTF-8 bytes (1,024 each), so (tenant_id, key)
-- always fits a btree index row (at most 2,704 bytes); the API refuses longer values first.

-- Up Migration

CREATE TABLE public.recovery_candidate_idempotency_keys (
    idempotency_key uuid        NOT NULL,
    candidate_id    integer     NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT recovery_candidate_idempotency_keys_pkey PRIMARY KEY (idempotency_key),
    CONSTRAINT recovery_candidate_idempotency_keys_candidate_id_fkey FOREIGN KEY (candidate_id)
        REFERENCES public.recovery_candidates (id) ON DELETE CASCADE
);

COMMENT ON TABLE public.recovery_candidate_idempotency_keys IS 'M10: every idempotency key ingest has counted for a candidate';

CREATE INDEX idx_rcik_candidate_id ON public.recovery_candidate_idempotency_keys (candidate_id);

INSERT INTO public.recovery_candidate_idempotency_keys (idempotency_key, candidate_id)
SELECT idempotency_key, id FROM public.recovery_candidates WHERE idempotency_key IS NOT NULL;

-- NOT VALID: rows already stored stay readable and deletable; every new or updated row is checked.
ALTER TABLE system.memory_pins
    ADD CONSTRAINT memory_pins_tenant_id_bytes_check CHECK (octet_length(tenant_id) <= 1024) NOT VALID,
    ADD CONSTRAINT memory_pins_key_bytes_check CHECK (octet_length(key) <= 1024) NOT VALID;

-- Down Migration

ALTER TABLE system.memory_pins
    DROP CONSTRAINT memory_pins_key_bytes_check,
    DROP CONSTRAINT memory_pins_tenant_id_bytes_check;
DROP TABLE public.recovery_candidate_idempotency_keys;
