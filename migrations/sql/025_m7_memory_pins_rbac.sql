-- 025_m7_memory_pins_rbac
-- The M7 tables the memory pins API and the RBAC middleware write (PREDECESSOR_OPS §D.1):
-- system.memory_pins (with its TTL/expiry triggers), system.rbac_audit, system.memory_audit and
-- their retention helpers.

-- Up Migration

CREATE SCHEMA IF NOT EXISTS system;

CREATE TABLE system.memory_pins (
    id          bigserial   NOT NULL,
    key         text        NOT NULL,
    tenant_id   text        NOT NULL,
    value       jsonb       NOT NULL,
    source      text        NOT NULL DEFAULT 'api',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    ttl_seconds integer,
    expires_at  timestamptz,
    CONSTRAINT memory_pins_pkey PRIMARY KEY (id)
);

COMMENT ON TABLE system.memory_pins IS 'M7: tenant-scoped key/value pins with optional TTL';

-- The API upserts with ON CONFLICT (tenant_id, key).
CREATE UNIQUE INDEX ix_memory_pins_tenant_key ON system.memory_pins (tenant_id, key);
CREATE INDEX ix_memory_pins_expires_at ON system.memory_pins (expires_at)
    WHERE expires_at IS NOT NULL;
CREATE INDEX ix_memory_pins_tenant_created ON system.memory_pins (tenant_id, created_at);

-- INSERT: with a TTL, expires_at = created_at + ttl; without one, an explicit expires_at is kept.
CREATE FUNCTION system.set_memory_pins_expires_at()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF NEW.ttl_seconds IS NOT NULL THEN
        NEW.expires_at := NEW.created_at + (NEW.ttl_seconds || ' seconds')::interval;
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER memory_pins_insert_expires_trigger
    BEFORE INSERT ON system.memory_pins
    FOR EACH ROW
    EXECUTE FUNCTION system.set_memory_pins_expires_at();

-- UPDATE: updated_at = now(); expires_at is recomputed from the (kept) created_at and the new TTL,
-- or cleared when there is no TTL, overriding any expires_at written by the UPDATE. So re-upserting
-- does not push expiry forward from now.
CREATE FUNCTION system.update_memory_pins_updated_at()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    NEW.updated_at := now();
    IF NEW.ttl_seconds IS NOT NULL THEN
        NEW.expires_at := NEW.created_at + (NEW.ttl_seconds || ' seconds')::interval;
    ELSE
        NEW.expires_at := NULL;
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER memory_pins_updated_at_trigger
    BEFORE UPDATE ON system.memory_pins
    FOR EACH ROW
    EXECUTE FUNCTION system.update_memory_pins_updated_at();

CREATE TABLE system.rbac_audit (
    id         bigserial        NOT NULL,
    ts         timestamptz      NOT NULL DEFAULT now(),
    subject    text             NOT NULL,
    resource   text             NOT NULL,
    action     text             NOT NULL,
    allowed    boolean          NOT NULL,
    reason     text,
    roles      text[],
    path       text,
    method     text,
    tenant_id  text,
    request_id text,
    latency_ms double precision,
    extra      jsonb            DEFAULT '{}'::jsonb,
    CONSTRAINT rbac_audit_pkey PRIMARY KEY (id)
);

COMMENT ON TABLE system.rbac_audit IS 'M7: RBAC authorization decisions';

CREATE INDEX ix_rbac_audit_ts ON system.rbac_audit (ts DESC);
CREATE INDEX ix_rbac_audit_subject ON system.rbac_audit (subject);
CREATE INDEX ix_rbac_audit_resource_action ON system.rbac_audit (resource, action);
CREATE INDEX ix_rbac_audit_allowed ON system.rbac_audit (allowed) WHERE allowed = false;
CREATE INDEX ix_rbac_audit_tenant ON system.rbac_audit (tenant_id) WHERE tenant_id IS NOT NULL;

-- Deletes audit rows older than retention_days; returns how many.
CREATE FUNCTION system.cleanup_rbac_audit(retention_days integer DEFAULT 90)
RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
    v_deleted integer;
BEGIN
    DELETE FROM system.rbac_audit ra
     WHERE ra.ts < now() - (retention_days || ' days')::interval;
    GET DIAGNOSTICS v_deleted = ROW_COUNT;
    RETURN v_deleted;
END;
$$;

CREATE TABLE system.memory_audit (
    id             bigserial        NOT NULL,
    ts             timestamptz      NOT NULL DEFAULT now(),
    operation      text             NOT NULL,
    tenant_id      text             NOT NULL,
    key            text             NOT NULL,
    agent_id       text,
    source         text,
    cache_hit      boolean          DEFAULT false,
    latency_ms     double precision,
    success        boolean          NOT NULL DEFAULT true,
    error_message  text,
    old_value_hash text,
    new_value_hash text,
    extra          jsonb            DEFAULT '{}'::jsonb,
    CONSTRAINT memory_audit_pkey PRIMARY KEY (id)
);

COMMENT ON TABLE system.memory_audit IS 'M7: memory pin operations (upsert, get, delete)';

CREATE INDEX ix_memory_audit_ts ON system.memory_audit (ts DESC);
CREATE INDEX ix_memory_audit_tenant ON system.memory_audit (tenant_id);
CREATE INDEX ix_memory_audit_key ON system.memory_audit (key);
CREATE INDEX ix_memory_audit_operation ON system.memory_audit (operation);
CREATE INDEX ix_memory_audit_agent ON system.memory_audit (agent_id) WHERE agent_id IS NOT NULL;
CREATE INDEX ix_memory_audit_errors ON system.memory_audit (success) WHERE success = false;

-- Deletes audit rows older than retention_days; returns how many.
CREATE FUNCTION system.cleanup_memory_audit(retention_days integer DEFAULT 30)
RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
    v_deleted integer;
BEGIN
    DELETE FROM system.memory_audit ma
     WHERE ma.ts < now() - (retention_days || ' days')::interval;
    GET DIAGNOSTICS v_deleted = ROW_COUNT;
    RETURN v_deleted;
END;
$$;

-- Down Migration

DROP FUNCTION system.cleanup_memory_audit(integer);
DROP TABLE system.memory_audit;
DROP FUNCTION system.cleanup_rbac_audit(integer);
DROP TABLE system.rbac_audit;
DROP TRIGGER memory_pins_updated_at_trigger ON system.memory_pins;
DROP FUNCTION system.update_memory_pins_updated_at();
DROP TRIGGER memory_pins_insert_expires_trigger ON system.memory_pins;
DROP FUNCTION system.set_memory_pins_expires_at();
DROP TABLE system.memory_pins;
DROP SCHEMA system RESTRICT;
