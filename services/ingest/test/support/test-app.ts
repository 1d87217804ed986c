// Builds the ingest app against a fresh migrated database and the test stack's Redis (or the
// servers a chaos test brings), with known tokens and short limits; useTestApp does so for a test
// file. serviceEnv is the same environment for the built m10-ingest process.
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import type { DevServer } from "@m10/devstack";
import {
  createTestDatabase,
  metricValue,
  privateServer,
  streamKeysEnv,
  testStack,
  uniqueStreamKeys,
  useEnvironment,
  waitUntil,
  type TestDatabase,
} from "@m10/devstack/testing";
import { migrateUp } from "@m10/migrations";
import { createLogger, createMetrics, createPool, createRedisClient, ingestConfigSchema, parseEnv, type IngestConfig, type M10Metrics, type Pool, type RedisClient } from "@m10/shared";
import { buildApp } from "../../src/app.js";

export const ADMIN_TOKEN = "adm_test_token_0123456789abcdef_0123456789abcdef";
export const MACHINE_TOKEN = "mch_test_token_0123456789abcdef_0123456789abcdef";

/** Tokens of every role, for the auth matrix and tenant tests (M10_RBAC_TOKENS_FILE). */
export const FILE_TOKENS = {
  operator: { token: "op_test_token_0123456789abcdef_0123456789abcdef", subject: "olga", roles: ["operator"], tenant: "acme" },
  readonly: { token: "ro_test_token_0123456789abcdef_0123456789abcdef", subject: "rita", roles: ["readonly"], tenant: "acme" },
  acmeMachine: { token: "mch_acme_token_0123456789abcdef_0123456789abcdef", subject: "acme-agent", roles: ["machine"], tenant: "acme" },
  globexMachine: { token: "mch_globex_token_0123456789abcd_0123456789abcdef", subject: "globex-agent", roles: ["machine"], tenant: "globex" },
  acmeAdmin: { token: "adm_acme_token_0123456789abcdef_0123456789abcdef", subject: "acme-admin", roles: ["admin"], tenant: "acme" },
} as const;

/** A token of every role in each of two tenants, for the tenant isolation matrix. */
export const TENANT_TOKENS = {
  a: {
    admin: { token: "tenant_a_admin_token_0123456789abcdef", subject: "a-admin", roles: ["admin"], tenant: "tenant-a" },
    operator: { token: "tenant_a_operator_token_0123456789abcd", subject: "a-operator", roles: ["operator"], tenant: "tenant-a" },
    machine: { token: "tenant_a_machine_token_0123456789abcde", subject: "a-agent", roles: ["machine"], tenant: "tenant-a" },
    readonly: { token: "tenant_a_readonly_token_0123456789abcd", subject: "a-reader", roles: ["readonly"], tenant: "tenant-a" },
  },
  b: {
    admin: { token: "tenant_b_admin_token_0123456789abcdef", subject: "b-admin", roles: ["admin"], tenant: "tenant-b" },
    operator: { token: "tenant_b_operator_token_0123456789abcd", subject: "b-operator", roles: ["operator"], tenant: "tenant-b" },
    machine: { token: "tenant_b_machine_token_0123456789abcde", subject: "b-agent", roles: ["machine"], tenant: "tenant-b" },
    readonly: { token: "tenant_b_readonly_token_0123456789abcd", subject: "b-reader", roles: ["readonly"], tenant: "tenant-b" },
  },
} as const;

export function writeTokensFile(): string {
  const file = join(tmpdir(), `m10-tokens-${randomBytes(4).toString("hex")}.json`);
  const principals = [...Object.values(FILE_TOKENS), ...Object.values(TENANT_TOKENS.a), ...Object.values(TENANT_TOKENS.b)];
  const content = Object.fromEntries(principals.map(({ token, ...principal }) => [token, principal]));
  writeFileSync(file, JSON.stringify(content), { mode: 0o600 });
  return file;
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

export const INGEST_BIN = "services/ingest/bin/m10-ingest.js";

/** The environment of an ingest on `databaseUrl`: the test stack's Redis, known tokens, a stream of its own. */
export function serviceEnv(databaseUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    REDIS_URL: testStack().redisUrl,
    M10_ADMIN_TOKEN: ADMIN_TOKEN,
    M10_MACHINE_TOKEN: MACHINE_TOKEN,
    M10_RBAC_TOKENS_FILE: writeTokensFile(),
    // Each app its own stream, so counts never mix between tests.
    ...streamKeysEnv(uniqueStreamKeys()),
    HOST: "127.0.0.1",
    // Every test app shares the stack's Redis and 127.0.0.1: token-less requests of all test files
    // would share one anonymous budget (anonymous-flood.test.ts tests the real limit on its own Redis).
    M10_RATE_LIMIT_ANONYMOUS_MAX: "1000000",
    ...extra,
  };
}

export interface TestApp {
  app: FastifyInstance;
  config: IngestConfig;
  pool: Pool;
  redis: RedisClient | undefined;
  metrics: M10Metrics<"ingest">;
  databaseUrl: string;
  /** The value of a metric in the app's registry, summed over the series with these labels (see metricValue). */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
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

export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  let database: TestDatabase | undefined;
  const databaseUrl = options.databaseUrl ?? (database = await createTestDatabase()).url;
  const redisUrl = options.redisUrl ?? testStack().redisUrl;
  const config = parseEnv(
    ingestConfigSchema,
    serviceEnv(databaseUrl, {
      REDIS_URL: redisUrl === "none" ? "redis://127.0.0.1:1/0" : redisUrl,
      LOG_LEVEL: "silent",
      M10_DB_CONNECT_TIMEOUT_MS: "2000",
      ...options.env,
    }),
  );
  const logger = createLogger("ingest-test", config.LOG_LEVEL);
  const pool = createPool(config, logger, "ingest-test");
  let redis: RedisClient | undefined;
  if (redisUrl !== "none") {
    // As main.ts creates it.
    const client = createRedisClient(config.REDIS_URL, { enableAutoPipelining: true });
    client.on("error", () => undefined);
    redis = client;
    await waitUntil("Redis client ready", () => client.status === "ready", { intervalMs: 10 });
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
    metric: async (name, labels) => metricValue(await metrics.registry.metrics(), name, labels),
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

export interface UseTestAppOptions {
  env?: Record<string, string>;
  /** Run on a Redis server of the file's own (which a test may stop), instead of the test stack's. */
  privateRedis?: boolean;
  /** Run on a migrated PostgreSQL server of the file's own (which a test may stop), instead of a database on the test stack's. */
  privatePostgres?: boolean;
}

/** One app for the test file: started before its tests, closed (with the servers it brought) after them. */
export function useTestApp(options: UseTestAppOptions & { privateRedis: true }): TestApp & { redisServer: DevServer };
export function useTestApp(options: UseTestAppOptions & { privatePostgres: true }): TestApp & { postgresServer: DevServer };
export function useTestApp(options?: UseTestAppOptions): TestApp;
export function useTestApp(options: UseTestAppOptions = {}): TestApp {
  return useEnvironment(async (defer) => {
    const redisServer = options.privateRedis ? await privateServer("redis") : undefined;
    if (redisServer) defer(() => redisServer.stop());
    const postgresServer = options.privatePostgres ? await privateServer("postgres") : undefined;
    if (postgresServer) {
      defer(() => postgresServer.stop());
      await migrateUp(postgresServer.url);
    }
    const app = await startTestApp({ env: options.env, redisUrl: redisServer?.url, databaseUrl: postgresServer?.url });
    defer(app.close);
    return { ...app, ...(redisServer ? { redisServer } : {}), ...(postgresServer ? { postgresServer } : {}) };
  });
}
