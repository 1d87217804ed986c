import type { Queryable } from "./pool.js";

// system.rbac_audit (the M7 table of schema decision 9, docs/architecture.md §4.1 and §4.6): one
// row per recorded authorization decision.

export interface RbacAuditEntry {
  /** The token's subject, or "anonymous" / "invalid_token" when there is none. */
  subject: string;
  resource: string;
  action: string;
  allowed: boolean;
  reason: string | null;
  roles: readonly string[];
  path: string | null;
  method: string | null;
  tenantId: string | null;
  requestId: string | null;
  latencyMs: number | null;
  extra?: Record<string, unknown>;
}

/** Writes the entries in one statement (the ingest API buffers its audit records and flushes them in batches). */
export async function insertRbacAuditEntries(db: Queryable, entries: readonly RbacAuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  const records = entries.map((entry) => ({
    subject: entry.subject,
    resource: entry.resource,
    action: entry.action,
    allowed: entry.allowed,
    reason: entry.reason,
    roles: [...entry.roles],
    path: entry.path,
    method: entry.method,
    tenant_id: entry.tenantId,
    request_id: entry.requestId,
    latency_ms: entry.latencyMs,
    extra: entry.extra ?? {},
  }));
  await db.query(
    `INSERT INTO system.rbac_audit (subject, resource, action, allowed, reason, roles, path, method, tenant_id, request_id, latency_ms, extra)
     SELECT r.subject, r.resource, r.action, r.allowed, r.reason, ARRAY(SELECT jsonb_array_elements_text(r.roles)), r.path, r.method,
            r.tenant_id, r.request_id, r.latency_ms, r.extra
       FROM jsonb_to_recordset($1::jsonb) AS r(subject text, resource text, action text, allowed boolean, reason text, roles jsonb,
            path text, method text, tenant_id text, request_id text, latency_ms double precision, extra jsonb)`,
    [JSON.stringify(records)],
  );
}
