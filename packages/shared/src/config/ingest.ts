// The ingest service's environment: every variable it reads, with its default.
import { isIP } from "node:net";
import { z } from "zod";
import { databaseEnv, redisEnv, serviceEnv } from "./common.js";
import { env } from "./env.js";

/**
 * M10_TRUST_PROXY → Fastify's trustProxy: false; a number of proxy hops in front of the API
 * ("true" = 1: only the nearest proxy's X-Forwarded-For entry counts, never the client's leftmost);
 * or a comma-separated list of proxy addresses / CIDRs whose X-Forwarded-For is believed.
 */
const trustProxy = z
  .string()
  .default("false")
  .transform((value, ctx): false | number | string[] => {
    const text = value.trim().toLowerCase();
    if (["false", "0", "no", "off", ""].includes(text)) return false;
    if (["true", "yes", "on"].includes(text)) return 1;
    if (/^\d+$/.test(text)) return Number(text);
    const addresses = text.split(",").map((part) => part.trim()).filter((part) => part !== "");
    const invalid = addresses.filter((address) => isIP(address.split("/")[0] ?? "") === 0);
    if (invalid.length > 0) ctx.addIssue({ code: "custom", message: `must be false, a hop count or proxy addresses/CIDRs (not an address: ${invalid.join(", ")})` });
    return addresses;
  })
  .describe("proxies in front of the API whose X-Forwarded-For is believed: false, a hop count (true = 1) or comma-separated proxy addresses/CIDRs");

// Ingest serves /health, /ready and /metrics on its API port, so it has no separate health server.
const { M10_HEALTH_HOST: _healthHost, M10_HEALTH_PORT: _healthPort, ...serviceVariables } = serviceEnv(8000);

export const ingestConfigSchema = z.object({
  ...databaseEnv,
  ...redisEnv,
  ...serviceVariables,
  PORT: env.int(8000, "HTTP port of the ingest API (the runbooks curl localhost:8000)"),
  HOST: env.string("0.0.0.0", "address the ingest API binds"),
  M10_TRUST_PROXY: trustProxy,

  // Request limits
  M10_INGEST_MAX_BODY_BYTES: env.int(262_144, "largest request body in bytes (413 above it)", 1),
  M10_INGEST_BATCH_MAX_BODY_BYTES: env.int(8_388_608, "largest body of POST /ingest/batch in bytes", 1),
  M10_INGEST_BATCH_MAX_ITEMS: env.int(500, "most items in one POST /ingest/batch request", 1),
  M10_INGEST_MAX_JSON_DEPTH: env.int(64, "deepest JSON nesting accepted in a body (400 above it)", 1),
  M10_INGEST_RETRY_AFTER_SECONDS: env.int(5, "Retry-After seconds on a 503 while PostgreSQL is unavailable", 1),

  // RBAC
  RBAC_ENFORCE: env.bool(true, "require credentials and a role with the route's permission (false: everything is allowed)"),
  RBAC_AUDIT_ENABLED: env.bool(true, "write denied and allowed privileged decisions to system.rbac_audit (batched, off the request path)"),
  M10_RBAC_AUDIT_BUFFER_MAX: env.int(10_000, "most audit records waiting for the batch write; past it records are dropped and counted (m10_rbac_audit_dropped_total)", 1),
  M10_RBAC_AUDIT_FLUSH_MS: env.int(1_000, "how often buffered audit records are written to system.rbac_audit, in ms", 1),
  RBAC_ANONYMOUS_PERMISSIONS: env.string(
    "",
    "comma-separated permissions granted to requests without credentials, e.g. ingest:write for the runbooks' token-less curl commands (default none)",
  ),
  M10_ADMIN_TOKEN: env.token("token of the built-in admin principal (role admin, tenant default; at least 32 bytes); make up generates it"),
  M10_MACHINE_TOKEN: env.token("token of the built-in machine principal (role machine, tenant default, may act for M10_MACHINE_TOKEN_TENANTS; at least 32 bytes); make up generates it"),
  MACHINE_SECRET_TOKEN: env.token("the M7 runbook's name for a machine token (role machine, tenant default; at least 32 bytes)"),
  M10_MACHINE_TOKEN_TENANTS: env.string(
    "*",
    "tenants the machine tokens (M10_MACHINE_TOKEN, MACHINE_SECRET_TOKEN) may act for by naming them (tenant_id, ?tenant=): * for any, or a comma-separated list (empty: only their own tenant, default); tokens from M10_RBAC_TOKENS_FILE stay pinned to their tenant",
  ),
  M10_RBAC_TOKENS_FILE: env.optionalString('JSON file of more tokens: {"<token>": {"subject": "...", "roles": ["operator"], "tenant": "acme"}}'),
  // The API port faces clients, so its operations endpoints ask for a token by default (the other
  // services' health servers bind loopback instead).
  M10_METRICS_REQUIRE_AUTH: env.bool(true, "require a token with ops:read (every role has it) for /metrics; Prometheus sends one (infra/prometheus)"),
  M10_HEALTH_DETAILED_REQUIRE_AUTH: env.bool(true, "require a token with ops:read (every role has it) for /health/detailed"),

  // Rate limits (per tenant of the token, else per client IP; Redis store, fail-open)
  RATE_LIMIT_ENABLED: env.bool(true, "per-tenant rate limits on the API routes"),
  M10_RATE_LIMIT_WINDOW_MS: env.int(60_000, "rate-limit window in ms", 1),
  M10_RATE_LIMIT_INGEST_MAX: env.int(120_000, "ingest requests (single and batch) per tenant per window", 1),
  M10_RATE_LIMIT_RECOVERY_MAX: env.int(6_000, "other /api/v1/recovery requests per tenant per window", 1),
  M10_RATE_LIMIT_PINS_MAX: env.int(100, "memory pin requests per tenant per window (the M7 runbook's 100 RPM)", 1),
  M10_RATE_LIMIT_ANONYMOUS_MAX: env.int(60, "API requests per client IP per window without a valid token (any route group), checked before any database work", 1),

  // Features
  MEMORY_PINS_ENABLED: env.bool(true, "serve /api/v1/memory/pins (false: 503 feature_disabled)"),
  M10_DOCS_ENABLED: env.bool(false, "serve the OpenAPI document at /docs/json and Swagger UI at /docs, without authentication (off by default)"),
});
export type IngestConfig = z.infer<typeof ingestConfigSchema>;
