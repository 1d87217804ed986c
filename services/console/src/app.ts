// The console's Fastify app: timeouts, form bodies, security headers, the session guard, one
// problem+json error handler, and the route groups (a plugin per page).
import { httpTimeouts, type M10Metrics } from "@m10/shared";
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from "fastify";
import { registerGuard } from "./auth/guard.js";
import type { ConsoleContext } from "./context.js";
import { ConsoleError } from "./errors.js";
import { assetRoutes } from "./routes/assets.js";
import { candidateRoutes } from "./routes/candidates.js";
import { deadLetterRoutes } from "./routes/dead-letters.js";
import { healthPageRoutes } from "./routes/health-page.js";
import { maintenanceRoutes } from "./routes/maintenance.js";
import { operationsRoutes } from "./routes/operations.js";
import { outboxRoutes } from "./routes/outbox.js";
import { overviewRoutes } from "./routes/overview.js";
import { sessionRoutes } from "./routes/session.js";

/** Forms are small: ids, a note, a token. */
const BODY_LIMIT = 64 * 1024;

const SECURITY_HEADERS = {
  "content-security-policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "same-origin",
};

/** application/x-www-form-urlencoded → fields; a repeated field (checkboxes) → a list. */
function parseForm(text: string): Record<string, string | string[]> {
  const fields: Record<string, string | string[]> = {};
  for (const [key, value] of new URLSearchParams(text)) {
    const seen = fields[key];
    fields[key] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  return fields;
}

/** Fastify's own 4xx errors under stable names. */
const FRAMEWORK_CODES: Readonly<Record<string, string>> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: "unsupported_media_type",
  FST_ERR_CTP_BODY_TOO_LARGE: "body_too_large",
  FST_ERR_CTP_EMPTY_JSON_BODY: "bad_request",
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: "bad_request",
};

function problem(status: number, code: string, detail: string) {
  return { type: "about:blank", title: code.replace(/_/g, " "), status, code, detail };
}

export function buildApp(ctx: ConsoleContext, metrics: M10Metrics<"console">): FastifyInstance {
  const timeouts = httpTimeouts(ctx.config);
  const app = Fastify({
    requestTimeout: timeouts.requestTimeout,
    connectionTimeout: timeouts.idleTimeout,
    keepAliveTimeout: timeouts.keepAliveTimeout,
    http: { headersTimeout: timeouts.headersTimeout, connectionsCheckingInterval: timeouts.connectionsCheckingInterval },
    loggerInstance: ctx.logger as FastifyBaseLogger,
    disableRequestLogging: true,
    bodyLimit: BODY_LIMIT,
    trustProxy: ctx.config.M10_TRUST_PROXY,
    return503OnClosing: true,
  });

  app.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string" }, (_request, body, done) => done(null, parseForm(String(body))));
  app.addHook("onSend", async (request, reply) => {
    reply.headers(SECURITY_HEADERS);
    if (!request.url.startsWith("/assets/")) reply.header("cache-control", "no-store");
  });
  app.addHook("onResponse", async (request, reply) => {
    const level = reply.statusCode >= 500 ? "error" : "debug";
    ctx.logger[level]({ method: request.method, url: request.url.split("?")[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime), subject: request.session?.principal.subject }, "console.request");
  });

  app.setErrorHandler((error: FastifyError | ConsoleError, request, reply) => {
    const status = error instanceof ConsoleError ? error.statusCode : (error.statusCode ?? 500);
    if (status >= 500 && !(error instanceof ConsoleError)) {
      request.log.error({ err: error, url: request.url }, "console.request_failed");
      return reply.code(500).type("application/problem+json").send(problem(500, "internal_error", "The console failed to answer: see its log"));
    }
    const code = error instanceof ConsoleError ? error.code : (FRAMEWORK_CODES[error.code] ?? "bad_request");
    return reply.code(status).type("application/problem+json").send(problem(status, code, error.message));
  });
  app.setNotFoundHandler((request, reply) => reply.code(404).type("application/problem+json").send(problem(404, "not_found", `No page ${request.url.split("?")[0]}`)));

  registerGuard(app, ctx);
  assetRoutes(app);
  operationsRoutes(app, ctx, metrics.registry);
  sessionRoutes(app, ctx);
  overviewRoutes(app, ctx);
  deadLetterRoutes(app, ctx);
  outboxRoutes(app, ctx);
  candidateRoutes(app, ctx);
  maintenanceRoutes(app, ctx);
  healthPageRoutes(app, ctx);
  return app;
}
