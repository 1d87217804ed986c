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

export async function insertRbacAudit(db: Queryable, entry: RbacAuditEntry): Promise<void> {
  await db.query(
    `INSERT INTO system.rbac_audit (subject, resource, action, allowed, reason, roles, path, method, tenant_id, request_id, latency_ms, extra)
     VALUES ($1, $2, $3, $4, $5, $6::text[], $7, $8, $9, $10, $11, $12::jsonb)`,
    [
      entry.subject,
      entry.resource,
      entry.action,
      entry.allowed,
      entry.reason,
      [...entry.roles],
      entry.path,
      entry.method,
      entry.tenantId,
      entry.requestId,
      entry.latencyMs,
      JSON.stringify(entry.extra ?? {}),
    ],
  );
}
