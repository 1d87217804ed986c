import { hostname } from "node:os";
import { env } from "./env.js";

/** PostgreSQL connection settings every service shares. */
export const databaseEnv = {
  DATABASE_URL: env.requiredUrl("PostgreSQL URL, e.g. postgres://nova@localhost:5433/nova_aos"),
  M10_DB_POOL_MAX: env.int(10, "maximum connections in this process's pool", 1),
  M10_DB_CONNECT_TIMEOUT_MS: env.int(5_000, "give up connecting to PostgreSQL after this many ms", 1),
  M10_DB_STATEMENT_TIMEOUT_MS: env.int(30_000, "statement_timeout for every session, ms (0 = none)"),
  M10_DB_QUERY_TIMEOUT_MS: env.int(60_000, "client-side timeout of one query, ms, even when the server never answers (0 = none); keep it above the statement timeout"),
};

/** Redis and the evaluation stream's keys and limits (the Recovery Operations Runbook's table). */
export const redisEnv = {
  REDIS_URL: env.string("redis://localhost:6379/0", "Redis URL: redis://, rediss://, redis-sentinel://h1:26379,h2:26379/<master>, redis-cluster://h1:7000,h2:7001"),
  M10_REDIS_KEY_PREFIX: env.string("m10:", "prefix of every Redis key M10 writes; unset: m10: (the runbooks' names), or {m10}: with a redis-cluster:// REDIS_URL (one hash tag, so multi-key scripts work on a cluster)"),
  M10_STREAM_KEY: env.string("m10:evaluate:stream", "evaluation stream key (unset: <M10_REDIS_KEY_PREFIX>evaluate:stream)"),
  M10_CONSUMER_GROUP: env.string("m10:evaluate:group", "consumer group of the evaluation stream (a name, not a key: no prefix)"),
  M10_DEAD_LETTER_STREAM: env.string("m10:evaluate:dead-letter", "dead-letter stream key (unset: <M10_REDIS_KEY_PREFIX>evaluate:dead-letter; on a cluster it must share M10_STREAM_KEY's hash tag)"),
  M10_CLAIM_IDLE_MS: env.int(60_000, "idle time before a pending message is reclaimed (ms)", 1),
  M10_MAX_RECLAIM_ATTEMPTS: env.int(3, "deliveries after which a message is dead-lettered", 1),
  M10_DEAD_LETTER_MAX_LEN: env.int(10_000, "dead letters kept in the stream: dl_reconcile archives the older ones, then deletes them from the stream (0 = no limit)", 0),
};

export const natsEnv = {
  NATS_URL: env.string("nats://127.0.0.1:4222", "NATS server URL(s), comma-separated"),
};

/**
 * Every HTTP server (the ingest API and the health/metrics servers): timeouts, so no client holds a
 * connection forever, and how long /health/detailed reuses one check.
 */
export const httpServerEnv = {
  M10_HTTP_REQUEST_TIMEOUT_MS: env.int(30_000, "longest a client may take to send a whole request, headers and body (ms); then 408 and the connection is closed", 1),
  M10_HTTP_HEADERS_TIMEOUT_MS: env.int(10_000, "longest a client may take to send the request headers (ms; at most the request timeout)", 1),
  M10_HTTP_KEEP_ALIVE_TIMEOUT_MS: env.int(72_000, "an idle keep-alive connection is closed after this (ms); keep it above a load balancer's idle timeout", 1),
  M10_HTTP_IDLE_TIMEOUT_MS: env.int(120_000, "a connection with no traffic at all for this long is closed (ms)", 1),
  M10_HEALTH_DETAILED_CACHE_MS: env.int(5_000, "/health/detailed answers from one check for this long (ms), so a burst of requests runs its queries once (0 = every request)"),
};

/** Logging and the health/metrics server of a service. */
export function serviceEnv(defaultPort: number) {
  return {
    LOG_LEVEL: env.logLevel(),
    HOSTNAME: env.string(hostname(), "host name used in holder and consumer ids"),
    M10_HEALTH_HOST: env.string("127.0.0.1", "address the health/metrics server binds (loopback by default: /metrics and /health/detailed have no authentication; 0.0.0.0 for every interface)"),
    M10_HEALTH_PORT: env.int(defaultPort, "port of the health/metrics server (0 = any free port)"),
    ...httpServerEnv,
    M10_SHUTDOWN_TIMEOUT_MS: env.int(25_000, "graceful shutdown deadline after SIGTERM (ms)", 1),
  };
}
