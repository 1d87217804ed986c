// Authentication (Authorization: Bearer <token> or X-Machine-Token) and authorization (the
// route's `config.permission`) as hooks. Credentials are identified on every request (the rate
// limit keys on the tenant); the permission is checked before the body is read, so a 401/403
// never depends on the body. Denials and allowed privileged decisions (AUDITED_PERMISSIONS) are
// counted and queued for system.rbac_audit (AuditBuffer: batched, never awaited by a request).
import type { FastifyInstance, FastifyRequest } from "fastify";
import {
  AUDITED_PERMISSIONS,
  DEFAULT_TENANT,
  mayActFor,
  type Permission,
  type Principal,
  type RbacAuditEntry,
  rolesGrant,
  type ServiceMetrics,
  type TokenStore,
} from "@m10/shared";
import { ForbiddenError, UnauthorizedError } from "../errors.js";
import type { AuditBuffer } from "./audit-buffer.js";

declare module "fastify" {
  interface FastifyRequest {
    /** The caller, when it presented a known token. */
    principal: Principal | null;
    /** Why presented credentials were not accepted (unknown_token, malformed_credentials). */
    credentialProblem: string | null;
  }
  interface FastifyContextConfig {
    /** The permission a route needs; routes without one are public. */
    permission?: Permission;
  }
}

export interface RbacOptions {
  enforce: boolean;
  tokens: TokenStore;
  anonymousPermissions: readonly Permission[];
  /** Absent: RBAC_AUDIT_ENABLED=false, decisions are only counted. */
  auditBuffer: AuditBuffer | undefined;
  metrics: Pick<ServiceMetrics<"ingest">, "rbacDecisionsTotal">;
}

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

function identify(request: FastifyRequest, tokens: TokenStore): void {
  const authorization = request.headers.authorization;
  const machine = request.headers["x-machine-token"];
  let token: string | undefined;
  if (authorization !== undefined) {
    const match = BEARER.exec(authorization);
    if (!match?.[1]) {
      request.credentialProblem = "malformed_credentials";
      return;
    }
    token = match[1];
  } else if (machine !== undefined) {
    token = Array.isArray(machine) ? undefined : machine.trim();
    if (!token) {
      request.credentialProblem = "malformed_credentials";
      return;
    }
  } else {
    return;
  }
  const principal = tokens.lookup(token);
  if (principal) request.principal = principal;
  else request.credentialProblem = "unknown_token";
}

export interface Decision {
  allowed: boolean;
  reason: string;
}

/** Who may do what: enforcement off allows all; otherwise a known token whose roles grant the permission. */
export function decide(request: FastifyRequest, permission: Permission, options: Pick<RbacOptions, "enforce" | "anonymousPermissions">): Decision {
  if (!options.enforce) return { allowed: true, reason: "rbac_disabled" };
  if (request.credentialProblem) return { allowed: false, reason: request.credentialProblem };
  if (!request.principal) {
    return options.anonymousPermissions.includes(permission) ? { allowed: true, reason: "anonymous_permission" } : { allowed: false, reason: "no_credentials" };
  }
  return rolesGrant(request.principal.roles, permission) ? { allowed: true, reason: "role" } : { allowed: false, reason: "missing_permission" };
}

/** Records a decision (counted always, queued for system.rbac_audit when auditing is on); never waits. */
export type AuditDecision = (request: FastifyRequest, permission: string, decision: Decision, startedAt: bigint, extra?: Record<string, unknown>) => void;

export function auditDecisionWriter(options: RbacOptions): AuditDecision {
  return (request, permission, decision, startedAt, extra) => {
    const [resource = permission, action = ""] = permission.split(":");
    const outcome = decision.allowed ? "allowed" : "denied";
    options.metrics.rbacDecisionsTotal.inc({ resource, action, decision: outcome, reason: decision.reason });
    if (!options.auditBuffer) return;
    const entry: RbacAuditEntry = {
      subject: request.principal?.subject ?? (request.credentialProblem ? "invalid_credentials" : "anonymous"),
      resource,
      action,
      allowed: decision.allowed,
      reason: decision.reason,
      roles: request.principal?.roles ?? [],
      path: request.routeOptions.url ?? request.url.split("?")[0] ?? null,
      method: request.method,
      tenantId: request.principal?.tenant ?? null,
      requestId: request.id,
      latencyMs: Number(process.hrtime.bigint() - startedAt) / 1e6,
      extra: { ip: request.ip, ...extra },
    };
    options.auditBuffer.record(entry);
  };
}

function denialError(permission: Permission, reason: string): Error {
  if (reason === "missing_permission") return new ForbiddenError(`Your role does not grant ${permission}`, "forbidden");
  return new UnauthorizedError(
    reason === "no_credentials" ? "Credentials required: Authorization: Bearer <token> or X-Machine-Token: <token>" : "The presented credentials are not valid",
    reason === "no_credentials" ? "unauthenticated" : "invalid_credentials",
  );
}

export function registerRbac(app: FastifyInstance, options: RbacOptions): AuditDecision {
  const audit = auditDecisionWriter(options);
  app.decorateRequest("principal", null);
  app.decorateRequest("credentialProblem", null);
  // Callback-style hooks: an allowed request (the hot path) costs no promise.
  app.addHook("onRequest", (request, _reply, done) => {
    identify(request, options.tokens);
    done();
  });
  app.addHook("preParsing", (request, _reply, payload, done) => {
    const permission = request.routeOptions.config.permission;
    if (permission === undefined) {
      done(null, payload);
      return;
    }
    const startedAt = process.hrtime.bigint();
    const decision = decide(request, permission, options);
    if (decision.allowed) {
      if (options.enforce) {
        if (AUDITED_PERMISSIONS.includes(permission)) audit(request, permission, decision, startedAt);
        else {
          const [resource = permission, action = ""] = permission.split(":");
          options.metrics.rbacDecisionsTotal.inc({ resource, action, decision: "allowed", reason: decision.reason });
        }
      }
      done(null, payload);
      return;
    }
    audit(request, permission, decision, startedAt);
    done(denialError(permission, decision.reason));
  });
  return audit;
}

/** Audits and refuses a request naming a tenant its credentials do not belong to. */
function tenantMismatch(request: FastifyRequest, requested: string, rbac: { audit: AuditDecision }, permission: Permission, field: string): ForbiddenError {
  rbac.audit(request, permission, { allowed: false, reason: "tenant_mismatch" }, process.hrtime.bigint(), { requested_tenant: requested });
  return new ForbiddenError(`Your credentials belong to another tenant than "${requested}"`, "tenant_mismatch", field);
}

/**
 * The tenant a request acts for. With RBAC on it is the token's tenant, and naming another one is
 * a 403 unless the token is a machine token that may act for it (M10_MACHINE_TOKEN_TENANTS);
 * without credentials (RBAC off or anonymous) it is the requested one, else `fallback`.
 */
export function tenantFor(
  request: FastifyRequest,
  requested: string | undefined,
  fallback: string,
  rbac: { enforce: boolean; audit: AuditDecision },
  permission: Permission,
): string {
  const principal = request.principal;
  if (!rbac.enforce || principal === null) return requested ?? principal?.tenant ?? fallback;
  if (requested === undefined || requested === principal.tenant) return principal.tenant;
  if (mayActFor(principal, requested)) return actingFor(request, requested, rbac, permission);
  throw tenantMismatch(request, requested, rbac, permission, "tenant_id");
}

/** A machine token acting for the tenant it named: allowed, counted and audited as machine_acts_for_tenant. */
function actingFor(request: FastifyRequest, requested: string, rbac: { audit: AuditDecision }, permission: Permission): string {
  rbac.audit(request, permission, { allowed: true, reason: "machine_acts_for_tenant" }, process.hrtime.bigint(), { requested_tenant: requested });
  return requested;
}

/**
 * The tenant whose candidates, outcomes and action statistics a request reads or writes
 * (docs/architecture.md §2): the token's. Only an admin may name another with `?tenant=`
 * (audited as admin_cross_tenant), and a machine token the tenants M10_MACHINE_TOKEN_TENANTS allows
 * (audited as machine_acts_for_tenant); anyone else naming another tenant gets 403 tenant_mismatch.
 * Requests without a token (anonymous permissions) act for "default"; with RBAC off, for the named
 * tenant, else "default".
 */
export function candidateTenant(
  request: FastifyRequest,
  requested: string | undefined,
  rbac: { enforce: boolean; audit: AuditDecision },
  permission: Permission,
): string {
  if (!rbac.enforce) return requested ?? request.principal?.tenant ?? DEFAULT_TENANT;
  const principal = request.principal;
  const own = principal?.tenant ?? DEFAULT_TENANT;
  if (requested === undefined || requested === own) return own;
  if (principal?.roles.includes("admin")) {
    rbac.audit(request, permission, { allowed: true, reason: "admin_cross_tenant" }, process.hrtime.bigint(), { requested_tenant: requested });
    return requested;
  }
  if (principal && mayActFor(principal, requested)) return actingFor(request, requested, rbac, permission);
  throw tenantMismatch(request, requested, rbac, permission, "tenant");
}
