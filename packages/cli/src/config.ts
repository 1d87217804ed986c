// m10ctl's environment: every variable it reads, with its default. DATABASE_URL is optional here
// because `redis check` and `health` do not need it; commands that do say so when it is missing.
import { hostname } from "node:os";
import { databaseEnv, env, maintenanceEnv, redisEnv } from "@m10/shared";
import { z } from "zod";

export const m10ctlConfigSchema = z.object({
  ...databaseEnv,
  DATABASE_URL: env.optionalString("PostgreSQL URL, e.g. postgres://nova@localhost:5433/nova_aos (source .m10/stack.env after `make up`)"),
  M10_DB_POOL_MAX: env.int(4, "maximum connections m10ctl opens", 1),
  ...redisEnv,
  ...maintenanceEnv,
  OUTBOX_MAX_RETRIES: env.int(5, "retry_count from which `outbox status` counts an event as stuck and `outbox retry --stuck` resets it (the processors' optional retry cap when it is set for them)", 0),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("warn").describe("pino log level (logs go to stderr)"),
  HOSTNAME: env.string(hostname(), "host name used in m10ctl's lock holder id (m10ctl:<host>:<pid>:<rand>)"),
  INGEST_URL: env.string("http://127.0.0.1:8000", "ingest API base URL (m10ctl health, m10ctl pins seed)"),
  METRICS_COLLECTOR_URL: env.string("http://127.0.0.1:9100", "metrics-collector health server (m10ctl health)"),
  CLAIM_WORKER_URL: env.string("http://127.0.0.1:9101", "claim-worker health server (m10ctl health)"),
  OUTBOX_PROCESSOR_URL: env.string("http://127.0.0.1:9102", "outbox-processor health server (m10ctl health)"),
  ORCHESTRATOR_URL: env.string("http://127.0.0.1:9103", "orchestrator health server, in --every mode (m10ctl health)"),
  M10_HEALTH_OPTIONAL: env.string("orchestrator", "comma-separated services whose absence m10ctl health reports without failing (the orchestrator runs from a timer)"),
  M10_HEALTH_TIMEOUT_MS: env.int(3_000, "timeout of each /health/detailed request (ms)", 1),
  M10_ADMIN_TOKEN: env.optionalString("bearer token sent to /health/detailed (when the ingest API requires one)"),
  M10_BACKUP_DIR: env.string("/backups", "directory of m10ctl db snapshot dumps and migration_log.txt (the handbook's)"),
  M10_PG_BIN_DIR: env.optionalString("directory of pg_dump / pg_restore (default: found on PATH)"),
});

export type M10ctlConfig = z.infer<typeof m10ctlConfigSchema>;
