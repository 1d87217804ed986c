// Log in with an M10 token (the ingest API's principals: admin, operator, readonly, ...), which
// becomes an HttpOnly, SameSite=Strict session cookie (Secure behind TLS); log out ends it.
import { rolesGrant } from "@m10/shared";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { field, type FormBody, requireSession } from "../auth/guard.js";
import { csrfMatches, sessionCookie } from "../auth/sessions.js";
import type { ConsoleContext } from "../context.js";
import { ConsoleError } from "../errors.js";
import { html } from "../views/html.js";
import { page } from "../views/layout.js";

/** Only a path on this console: never another origin (//evil.example) after log-in. */
function safeNext(value: unknown): string {
  return typeof value === "string" && value.startsWith("/") && !value.startsWith("//") && !value.startsWith("/\\") ? value : "/";
}

function loginPage(request: FastifyRequest, next: string, problem?: string): string {
  return page(
    request,
    "Log in",
    html`<form method="post" action="/login" class="login">
${problem ? html`<p class="warning" role="alert">${problem}</p>` : ""}
<input type="hidden" name="next" value="${next}">
<label>M10 token <input type="password" name="token" autocomplete="current-password" required autofocus></label>
<button type="submit" class="primary">Log in</button>
<p class="muted">The admin token (M10_ADMIN_TOKEN) or a token from M10_RBAC_TOKENS_FILE. Read-only roles see no action buttons.</p>
</form>`,
  );
}

export function sessionRoutes(app: FastifyInstance, ctx: ConsoleContext): void {
  const secure = (request: FastifyRequest) => ctx.config.M10_CONSOLE_COOKIE_SECURE || request.protocol === "https";
  const ttlSeconds = ctx.config.M10_CONSOLE_SESSION_TTL_SECONDS;

  app.get("/login", { config: { public: true } }, async (request, reply) =>
    reply.type("text/html").send(loginPage(request, safeNext((request.query as { next?: string }).next))),
  );

  app.post("/login", { config: { public: true } }, async (request, reply) => {
    const body = (request.body ?? {}) as FormBody;
    const next = safeNext(field(body, "next"));
    const principal = ctx.tokens.lookup(field(body, "token")?.trim() ?? "");
    if (!principal || !rolesGrant(principal.roles, "ops:read")) {
      ctx.logger.warn({ ip: request.ip, known: principal !== undefined }, "console.login_refused");
      return reply.code(401).type("text/html").send(loginPage(request, next, "That token is not valid here."));
    }
    const session = ctx.sessions.create(principal);
    ctx.logger.info({ subject: principal.subject, roles: principal.roles, ip: request.ip }, "console.login");
    return reply.header("set-cookie", sessionCookie(session.id, { maxAgeSeconds: ttlSeconds, secure: secure(request) })).redirect(next, 303);
  });

  app.post("/logout", async (request, reply) => {
    const session = requireSession(request);
    if (!csrfMatches(session, field((request.body ?? {}) as FormBody, "_csrf"))) throw new ConsoleError(403, "csrf_invalid", "The form's CSRF token is missing or wrong");
    ctx.sessions.destroy(session.id);
    return reply.header("set-cookie", sessionCookie("", { maxAgeSeconds: 0, secure: secure(request) })).redirect("/login", 303);
  });
}
