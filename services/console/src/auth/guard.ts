// Who may see and do what, as hooks: every page needs a session (log in with an M10 token); an
// action route (config.action) needs the permission, the session's CSRF token and an explicit
// confirmation, and is written to system.rbac_audit with the token's subject before it runs. A
// refused action is audited too. Roles and permissions are the ingest API's (@m10/shared).
import { insertRbacAuditEntries, type Permission, rolesGrant } from "@m10/shared";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { ConsoleContext } from "../context.js";
import { ConsoleError } from "../errors.js";
import { csrfMatches, readCookie, SESSION_COOKIE, type Session } from "./sessions.js";

export interface ActionConfig {
  /** The permission the action needs (ops:write, recovery:approve). */
  permission: Permission;
  /** rbac_audit.action: replay, resolve, outbox_reset, run_task, decide, ... */
  name: string;
}

declare module "fastify" {
  interface FastifyRequest {
    session: Session | null;
  }
  interface FastifyContextConfig {
    /** Served without a session (log-in page, assets, health). */
    public?: boolean;
    action?: ActionConfig;
  }
}

export type FormBody = Record<string, string | string[]>;

/** Whether the session's roles grant `permission` (what decides if a page shows an action's button). */
export function may(request: FastifyRequest, permission: Permission): boolean {
  return request.session !== null && rolesGrant(request.session.principal.roles, permission);
}

export function requireSession(request: FastifyRequest): Session {
  if (!request.session) throw new ConsoleError(401, "unauthenticated", "Log in first");
  return request.session;
}

async function audit(ctx: ConsoleContext, request: FastifyRequest, action: ActionConfig, allowed: boolean, reason: string): Promise<void> {
  const principal = request.session?.principal;
  const body = (request.body ?? {}) as FormBody;
  const { _csrf: _ignored, ...fields } = body;
  await insertRbacAuditEntries(ctx.pool, [
    {
      subject: principal?.subject ?? "anonymous",
      resource: "console",
      action: action.name,
      allowed,
      reason,
      roles: principal?.roles ?? [],
      path: request.routeOptions.url ?? null,
      method: request.method,
      tenantId: principal?.tenant ?? null,
      requestId: request.id,
      latencyMs: null,
      extra: { ip: request.ip, params: request.params, fields, permission: action.permission },
    },
  ]);
}

export function registerGuard(app: FastifyInstance, ctx: ConsoleContext): void {
  app.decorateRequest("session", null);
  app.addHook("onRequest", async (request, reply) => {
    request.session = ctx.sessions.get(readCookie(request.headers.cookie, SESSION_COOKIE)) ?? null;
    if (request.session || request.routeOptions.config.public) return;
    if (request.method === "GET" || request.method === "HEAD") {
      const next = request.url.startsWith("/") && !request.url.startsWith("//") ? request.url : "/";
      return reply.redirect(`/login?next=${encodeURIComponent(next)}`, 303);
    }
    throw new ConsoleError(401, "unauthenticated", "No console session: log in with an M10 token");
  });
  app.addHook("preHandler", async (request) => {
    const action = request.routeOptions.config.action;
    if (!action) return;
    const session = requireSession(request);
    const body = (request.body ?? {}) as FormBody;
    let refusal: ConsoleError | undefined;
    if (!rolesGrant(session.principal.roles, action.permission)) refusal = new ConsoleError(403, "forbidden", `Your role does not grant ${action.permission}`);
    else if (!csrfMatches(session, body._csrf)) refusal = new ConsoleError(403, "csrf_invalid", "The form's CSRF token is missing or wrong: reload the page and try again");
    else if (body.confirm !== "yes") refusal = new ConsoleError(400, "confirmation_required", "Tick the confirmation box to run this action");
    await audit(ctx, request, action, refusal === undefined, refusal?.code ?? "role").catch((error: unknown) => {
      ctx.logger.error({ err: error, action: action.name }, "console.audit_write_failed");
      // An action that cannot be audited does not run.
      throw new ConsoleError(503, "audit_unavailable", "The audit trail (system.rbac_audit) cannot be written: nothing was done");
    });
    if (refusal) throw refusal;
    ctx.logger.info({ action: action.name, subject: session.principal.subject, params: request.params }, "console.action");
  });
}

/** A form field that may be sent once or many times (checkboxes), as a list. */
export function fieldList(body: FormBody, name: string): string[] {
  const value = body[name];
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map((v) => v.trim()).filter((v) => v !== "");
}

export function field(body: FormBody, name: string): string | undefined {
  const value = body[name];
  return Array.isArray(value) ? value[0] : value;
}
