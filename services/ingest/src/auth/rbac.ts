// Authentication (Authorization: Bearer <token> or X-Machine-Token) and authorization (the
// route's `config.permission`) as hooks. Credentials are identified on every request (the rate
// limit keys on the tenant); the permission is checked before the body is read, so a 401/403
// never depends on the body. Denials are counted and written to system.rbac_audit.
import type { FastifyInstance, FastifyRequest } from "fastify";
import { insertRbacAudit, type Logger, type Queryable, type RbacAuditEntry, type ServiceMetrics } from "@m10/shared";
import { ForbiddenError, UnauthorizedError } from "../errors.js";
import { rolesGrant, type Permission } from "./permissions.js";
import type { Principal, TokenStore } from "./token-store.js";

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
  auditDenials: boolean;
  db: Queryable;
  logger: Logger;
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

export type AuditDenial = (request: FastifyRequest, permission: string, reason: string, startedAt: bigint) => Promise<void>;

export function auditDenialWriter(options: RbacOptions): AuditDenial {
  return async (request, permission, reason, startedAt) => {
    const [resource = permission, action = ""] = permission.split(":");
    options.metrics.rbacDecisionsTotal.inc({ resource, action, decision: "denied", reason });
    if (!options.auditDenials) return;
    const entry: RbacAuditEntry = {
      subject: request.principal?.subject ?? (request.credentialProblem ? "invalid_credentials" : "anonymous"),
      resource,
      action,
      allowed: false,
      reason,
      roles: request.principal?.roles ?? [],
      path: request.routeOptions.url ?? request.url.split("?")[0] ?? null,
      method: request.method,
      tenantId: request.principal?.tenant ?? null,
      requestId: request.id,
      latencyMs: Number(process.hrtime.bigint() - startedAt) / 1e6,
      extra: { ip: request.ip },
    };
    try {
      await insertRbacAudit(options.db, entry);
    } catch (error) {
      // The denial stands either way; a missing audit row is logged, not hidden.
      options.logger.warn({ err: error, request_id: request.id, reason }, "rbac.audit_write_failed");
    }
  };
}

function denialError(permission: Permission, reason: string): Error {
  if (reason === "missing_permission") return new ForbiddenError(`Your role does not grant ${permission}`, "forbidden");
  return new UnauthorizedError(
    reason === "no_credentials" ? "Credentials required: Authorization: Bearer <token> or X-Machine-Token: <token>" : "The presented credentials are not valid",
    reason === "no_credentials" ? "unauthenticated" : "invalid_credentials",
  );
}

export function registerRbac(app: FastifyInstance, options: RbacOptions): AuditDenial {
  const audit = auditDenialWriter(options);
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
        const [resource = permission, action = ""] = permission.split(":");
        options.metrics.rbacDecisionsTotal.inc({ resource, action, decision: "allowed", reason: decision.reason });
      }
      done(null, payload);
      return;
    }
    // audit() never rejects: a failed audit write is logged and the denial stands.
    audit(request, permission, decision.reason, startedAt).then(
      () => done(denialError(permission, decision.reason)),
      (error: unknown) => done(error instanceof Error ? error : new Error(String(error))),
    );
  });
  return audit;
}

/**
 * The tenant a request acts for. With RBAC on it is the token's tenant, and naming another one is
 * a 403; without credentials (RBAC off or anonymous) it is the requested one, else `fallback`.
 */
export async function tenantFor(
  request: FastifyRequest,
  requested: string | undefined,
  fallback: string,
  rbac: { enforce: boolean; audit: AuditDenial },
  permission: Permission,
): Promise<string> {
  const own = request.principal?.tenant;
  if (!rbac.enforce || own === undefined) return requested ?? own ?? fallback;
  if (requested !== undefined && requested !== own) {
    await rbac.audit(request, permission, "tenant_mismatch", process.hrtime.bigint());
    throw new ForbiddenError(`Your credentials belong to another tenant than "${requested}"`, "tenant_mismatch", "tenant_id");
  }
  return own;
}
