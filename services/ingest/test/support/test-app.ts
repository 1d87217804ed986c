// Builds the ingest app against a fresh migrated database and the test stack's Redis (or the
// servers a chaos test brings), with known tokens and short limits.
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { createTestDatabase, testStack, type TestDatabase } from "@m10/devstack/testing";
import { createLogger, createMetrics, createPool, createRedisClient, ingestConfigSchema, parseEnv, type IngestConfig, type M10Metrics, type Pool, type RedisClient } from "@m10/shared";
import { buildApp } from "../../src/app.js";

export const ADMIN_TOKEN = "adm_test_token_0123456789abcdef";
export const MACHINE_TOKEN = "mch_test_token_0123456789abcdef";

/** Tokens of every role, for the auth matrix and tenant tests (M10_RBAC_TOKENS_FILE). */
export const FILE_TOKENS = {
  operator: { token: "op_test_token_0123456789abcdef", subject: "olga", roles: ["operator"], tenant: "acme" },
  readonly: { token: "ro_test_token_0123456789abcdef", subject: "rita", roles: ["readonly"], tenant: "acme" },
  acmeMachine: { token: "mch_acme_token_0123456789abcdef", subject: "acme-agent", roles: ["machine"], tenant: "acme" },
  globexMachine: { token: "mch_globex_token_0123456789abcd", subject: "globex-agent", roles: ["machine"], tenant: "globex" },
  acmeAdmin: { token: "adm_acme_token_0123456789abcdef", subject: "acme-admin", roles: ["admin"], tenant: "acme" },
} as const;

export function writeTokensFile(): string {
  const file = join(tmpdir(), `m10-tokens-${randomBytes(4).toString("hex")}.json`);
  const content = Object.fromEntries(Object.values(FILE_TOKENS).map(({ token, ...principal }) => [token, principal]));
  writeFileSync(file, JSON.stringify(content), { mode: 0o600 });
  return file;
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

export interface TestApp {
  app: FastifyInstance;
  config: IngestConfig;
  pool: Pool;
  redis: RedisClient | undefined;
  metrics: M10Metrics<"ingest">;
  databaseUrl: string;
  /** Closes the app, the pool and Redis, and drops the database it created. */
  close(): Promise<void>;
}

export interface TestAppOptions {
  env?: Record<string, string>;
  /** Use this database instead of a fresh clone (chaos tests with a private PostgreSQL). */
  databaseUrl?: string;
  /** Use this Redis URL (chaos tests); "none" runs without Redis. */
  redisUrl?: string | "none";
}

export async function waitUntil(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  let database: TestDatabase | undefined;
  const databaseUrl = options.databaseUrl ?? (database = await createTestDatabase()).url;
  const redisUrl = options.redisUrl ?? testStack().redisUrl;
  const config = parseEnv(ingestConfigSchema, {
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl === "none" ? "redis://127.0.0.1:1/0" : redisUrl,
    LOG_LEVEL: "silent",
    M10_ADMIN_TOKEN: ADMIN_TOKEN,
    M10_MACHINE_TOKEN: MACHINE_TOKEN,
    M10_RBAC_TOKENS_FILE: writeTokensFile(),
    // Each app its own stream, so counts never mix between tests.
    M10_STREAM_KEY: `m10:test:${randomBytes(4).toString("hex")}:stream`,
    M10_DB_CONNECT_TIMEOUT_MS: "2000",
    ...options.env,
  });
  const logger = createLogger("ingest-test", config.LOG_LEVEL);
  const pool = createPool(config, logger, "ingest-test");
  let redis: RedisClient | undefined;
  if (redisUrl !== "none") {
    // As main.ts creates it.
    const client = createRedisClient(config.REDIS_URL, { enableAutoPipelining: true });
    client.on("error", () => undefined);
    redis = client;
    await waitUntil("redis ready", () => client.status === "ready");
  }
  const metrics = createMetrics("ingest", { defaultMetrics: false });
  const app = await buildApp({ config, logger, pool, redis, metrics });
  return {
    app,
    config,
    pool,
    redis,
    metrics,
    databaseUrl,
    close: async () => {
      await app.close();
      await pool.end();
      redis?.disconnect();
      await database?.drop();
    },
  };
}

/** A valid ingest body for a new failure. */
export function ingestBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    failure_match_id: crypto.randomUUID(),
    failure_payload: { error_type: "TIMEOUT", raw: "Connection timed out after 30s" },
    source: "test",
    ...overrides,
  };
}

/** The value of one series of a metric in the registry (0 when absent). */
export async function metricValue(metrics: M10Metrics<"ingest">, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = metrics.registry.getSingleMetric(name);
  if (!metric) return 0;
  const data = await metric.get();
  return data.values
    .filter((v) => Object.entries(labels).every(([k, value]) => String((v.labels as Record<string, unknown>)[k]) === value))
    .filter((v) => !("metricName" in v) || v.metricName === undefined || v.metricName === name || v.metricName === `${name}_count`)
    .reduce((sum, v) => sum + v.value, 0);
}
