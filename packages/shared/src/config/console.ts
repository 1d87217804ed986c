// The operator console's environment: every variable it reads, with its default.
import { z } from "zod";
import { databaseEnv, httpServerEnv, redisEnv } from "./common.js";
import { env } from "./env.js";
import { maintenanceEnv } from "./orchestrator.js";
import { hostname } from "node:os";

export const consoleConfigSchema = z.object({
  ...databaseEnv,
  M10_DB_POOL_MAX: env.int(4, "maximum connections in the console's pool", 1),
  M10_DB_STATEMENT_TIMEOUT_MS: env.int(10_000, "statement_timeout for every console query, ms (a page never waits longer)"),
  ...redisEnv,
  ...maintenanceEnv,
  ...httpServerEnv,
  LOG_LEVEL: env.logLevel(),
  HOSTNAME: env.string(hostname(), "host name used in the console's lock holder id (console:<host>:<pid>:<rand>)"),
  M10_SHUTDOWN_TIMEOUT_MS: env.int(25_000, "graceful shutdown deadline after SIGTERM (ms)", 1),
  PORT: env.int(9104, "HTTP port of the console (0 = any free port)"),
  // Loopback unless the operator exposes it on purpose (--host).
  HOST: env.string("127.0.0.1", "address the console binds (loopback by default; --host overrides it)"),
  M10_TRUST_PROXY: env.bool(false, "trust X-Forwarded-Proto/-For from a TLS-terminating proxy (then session cookies are Secure on https)"),
  M10_CONSOLE_COOKIE_SECURE: env.bool(false, "always mark the session cookie Secure (the console itself serves plain HTTP; set it behind TLS)"),
  M10_CONSOLE_SESSION_TTL_SECONDS: env.int(8 * 3_600, "a console session ends this long after log-in", 60),
  M10_CONSOLE_MAX_SESSIONS: env.int(1_000, "most sessions held at once; the oldest is dropped past it", 1),
  M10_CONSOLE_PAGE_SIZE: env.int(50, "rows per list page", 1),
  OUTBOX_MAX_RETRIES: env.int(5, "retry_count from which the outbox page calls an event stuck (as m10ctl outbox status)", 0),
  // Tokens: the same principals as the ingest API (one RBAC).
  M10_ADMIN_TOKEN: env.token("token of the built-in admin principal (role admin; at least 32 bytes)"),
  M10_RBAC_TOKENS_FILE: env.optionalString('JSON file of more tokens, as ingest reads it: {"<token>": {"subject": "...", "roles": ["operator"]}}'),
  // The health page asks every service (as m10ctl health does).
  INGEST_URL: env.string("http://127.0.0.1:8000", "ingest API base URL (health page)"),
  METRICS_COLLECTOR_URL: env.string("http://127.0.0.1:9100", "metrics-collector health server (health page)"),
  CLAIM_WORKER_URL: env.string("http://127.0.0.1:9101", "claim-worker health server (health page)"),
  OUTBOX_PROCESSOR_URL: env.string("http://127.0.0.1:9102", "outbox-processor health server (health page, outbox per-batch report)"),
  ORCHESTRATOR_URL: env.string("http://127.0.0.1:9103", "orchestrator health server (health page, last run per task)"),
  M10_HEALTH_TIMEOUT_MS: env.int(2_000, "timeout of each service's /health/detailed request (ms)", 1),
});
export type ConsoleConfig = z.infer<typeof consoleConfigSchema>;
