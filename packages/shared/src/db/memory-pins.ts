import type { Queryable } from "./pool.js";

// system.memory_pins ("memory pins", docs/architecture.md §4.6): tenant-scoped key/value pins with an optional
// TTL, every write, read and delete audited in system.memory_audit by the same statement.
// TTL semantics live in the table's triggers: expires_at = created_at + ttl_seconds, so a
// re-upsert does not push expiry forward and a null TTL clears it; expired rows stay until cleanup.

export interface PinRow {
  id: number;
  tenant_id: string;
  key: string;
  value: Record<string, unknown>;
  source: string;
  created_at: Date;
  updated_at: Date;
  ttl_seconds: number | null;
  expires_at: Date | null;
}

export interface PinAuditContext {
  /** Who asked (token subject), kept in memory_audit.agent_id. */
  actor?: string | null;
  requestId?: string | null;
}

const PIN_COLUMNS = "p.id, p.tenant_id, p.key, p.value, p.source, p.created_at, p.updated_at, p.ttl_seconds, p.expires_at";
/** First 16 hex of SHA-256 over the jsonb text: a stable fingerprint of a value for the audit trail. */
const valueHash = (column: string) => `left(encode(sha256(convert_to(${column}::text, 'UTF8')), 'hex'), 16)`;
const VISIBLE = "(p.expires_at IS NULL OR p.expires_at > now())";

export interface PinUpsert {
  tenantId: string;
  key: string;
  value: Record<string, unknown>;
  source: string;
  ttlSeconds: number | null;
}

/** INSERT ... ON CONFLICT (tenant_id, key) DO UPDATE value, source, ttl_seconds; audits 'upsert' with old and new hashes. */
export async function upsertPin(db: Queryable, pin: PinUpsert, audit: PinAuditContext = {}): Promise<PinRow> {
  const { rows } = await db.query<PinRow>(
    `WITH old AS (
       SELECT value FROM system.memory_pins WHERE tenant_id = $1 AND key = $2
     ), p AS (
       INSERT INTO system.memory_pins AS mp (tenant_id, key, value, source, ttl_seconds)
       VALUES ($1, $2, $3::jsonb, $4, $5)
       ON CONFLICT (tenant_id, key) DO UPDATE
          SET value = EXCLUDED.value, source = EXCLUDED.source, ttl_seconds = EXCLUDED.ttl_seconds, updated_at = now()
       RETURNING mp.*
     ), audit AS (
       INSERT INTO system.memory_audit (operation, tenant_id, key, agent_id, source, success, old_value_hash, new_value_hash, extra)
       SELECT 'upsert', p.tenant_id, p.key, $6, p.source, true, (SELECT ${valueHash("old.value")} FROM old), ${valueHash("p.value")},
              jsonb_build_object('request_id', $7::text)
         FROM p
     )
     SELECT ${PIN_COLUMNS} FROM p`,
    [pin.tenantId, pin.key, JSON.stringify(pin.value), pin.source, pin.ttlSeconds, audit.actor ?? null, audit.requestId ?? null],
  );
  const row = rows[0];
  if (!row) throw new Error("memory pin upsert returned no row");
  return row;
}

/** The pin unless it is missing or expired; audits 'get' (success = found). */
export async function getPin(db: Queryable, tenantId: string, key: string, audit: PinAuditContext = {}): Promise<PinRow | undefined> {
  const { rows } = await db.query<PinRow>(
    `WITH p AS (
       SELECT ${PIN_COLUMNS} FROM system.memory_pins p WHERE p.tenant_id = $1 AND p.key = $2 AND ${VISIBLE}
     ), audit AS (
       INSERT INTO system.memory_audit (operation, tenant_id, key, agent_id, success, error_message, extra)
       SELECT 'get', $1, $2, $3, EXISTS (SELECT 1 FROM p), CASE WHEN EXISTS (SELECT 1 FROM p) THEN NULL ELSE 'not_found' END,
              jsonb_build_object('request_id', $4::text)
     )
     SELECT * FROM p`,
    [tenantId, key, audit.actor ?? null, audit.requestId ?? null],
  );
  return rows[0];
}

/** Escapes LIKE's wildcards so a prefix matches literally (ESCAPE '\'). */
export function escapeLikePattern(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export interface PinListFilter {
  tenantId: string;
  prefix?: string;
  limit: number;
  offset: number;
  includeExpired: boolean;
}

/** A page of a tenant's pins, newest first (created_at DESC, id DESC), and the total with the same filters. */
export async function listPins(db: Queryable, filter: PinListFilter): Promise<{ pins: PinRow[]; total: number }> {
  const conditions = ["p.tenant_id = $1"];
  const params: unknown[] = [filter.tenantId];
  if (filter.prefix !== undefined && filter.prefix !== "") {
    params.push(`${escapeLikePattern(filter.prefix)}%`);
    conditions.push(`p.key LIKE $${params.length} ESCAPE '\\'`);
  }
  if (!filter.includeExpired) conditions.push(VISIBLE);
  const where = conditions.join(" AND ");
  const [page, count] = await Promise.all([
    db.query<PinRow>(
      `SELECT ${PIN_COLUMNS} FROM system.memory_pins p WHERE ${where}
        ORDER BY p.created_at DESC, p.id DESC LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      [...params, filter.limit, filter.offset],
    ),
    db.query<{ total: number }>(`SELECT count(*) AS total FROM system.memory_pins p WHERE ${where}`, params),
  ]);
  return { pins: page.rows, total: count.rows[0]?.total ?? 0 };
}

/** Deletes the pin whether or not it has expired; audits 'delete' (success = it existed). */
export async function deletePin(db: Queryable, tenantId: string, key: string, audit: PinAuditContext = {}): Promise<boolean> {
  const { rows } = await db.query<{ deleted: boolean }>(
    `WITH d AS (
       DELETE FROM system.memory_pins WHERE tenant_id = $1 AND key = $2 RETURNING value
     ), audit AS (
       INSERT INTO system.memory_audit (operation, tenant_id, key, agent_id, success, error_message, old_value_hash, extra)
       SELECT 'delete', $1, $2, $3, EXISTS (SELECT 1 FROM d), CASE WHEN EXISTS (SELECT 1 FROM d) THEN NULL ELSE 'not_found' END,
              (SELECT ${valueHash("d.value")} FROM d), jsonb_build_object('request_id', $4::text)
     )
     SELECT EXISTS (SELECT 1 FROM d) AS deleted`,
    [tenantId, key, audit.actor ?? null, audit.requestId ?? null],
  );
  return rows[0]?.deleted === true;
}

/** Deletes expired pins (of one tenant, or of all when tenantId is null); audits 'cleanup' with the count. */
export async function cleanupExpiredPins(db: Queryable, tenantId: string | null, audit: PinAuditContext = {}): Promise<number> {
  const { rows } = await db.query<{ deleted: number }>(
    `WITH d AS (
       DELETE FROM system.memory_pins
        WHERE expires_at IS NOT NULL AND expires_at < now() AND ($1::text IS NULL OR tenant_id = $1)
       RETURNING id
     ), audit AS (
       INSERT INTO system.memory_audit (operation, tenant_id, key, agent_id, success, extra)
       SELECT 'cleanup', COALESCE($1, '*'), '*', $2, true,
              jsonb_build_object('request_id', $3::text, 'deleted_count', (SELECT count(*) FROM d))
     )
     SELECT count(*) AS deleted FROM d`,
    [tenantId, audit.actor ?? null, audit.requestId ?? null],
  );
  return rows[0]?.deleted ?? 0;
}
