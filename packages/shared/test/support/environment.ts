// What the shared package's database tests start from: a database cloned from the migrated
// template and a pool on it (the package's own createPool), plus a client on the test stack's
// Redis for the stream tests; all closed after the file.
import { openTestDatabase, testStack, useEnvironment, waitUntil, type TestDatabase } from "@m10/devstack/testing";
import { createPool, type Pool } from "../../src/db/pool.js";
import { createLogger } from "../../src/observability/logger.js";
import { createRedisClient, type RedisClient } from "../../src/redis/client.js";

export interface TestEnvironment {
  db: TestDatabase;
  pool: Pool;
}

export interface TestEnvironmentOptions {
  /** Connections the pool may open (the concurrency tests race 100 sessions); default 10. */
  poolMax?: number;
  /** Cancel a statement that runs longer; default none. */
  statementTimeoutMs?: number;
  /** Also a client on the test stack's Redis, connected before the tests. */
  redis?: boolean;
}

/** Registers beforeAll/afterAll for the file; the fields are filled once beforeAll has run. */
export function useTestEnvironment(options: TestEnvironmentOptions & { redis: true }): TestEnvironment & { redis: RedisClient };
export function useTestEnvironment(options?: TestEnvironmentOptions): TestEnvironment;
export function useTestEnvironment(options: TestEnvironmentOptions = {}): TestEnvironment {
  return useEnvironment(async (defer) => {
    const { db, pool } = await openTestDatabase(defer, (url) =>
      createPool(
        { DATABASE_URL: url, M10_DB_POOL_MAX: options.poolMax ?? 10, M10_DB_CONNECT_TIMEOUT_MS: 30_000, M10_DB_STATEMENT_TIMEOUT_MS: options.statementTimeoutMs ?? 0 },
        createLogger("shared-test", "silent"),
        "shared-test",
      ),
    );
    if (!options.redis) return { db, pool };
    const redis = createRedisClient(testStack().redisUrl);
    defer(() => redis.disconnect());
    await waitUntil("Redis client ready", () => redis.status === "ready", { intervalMs: 10 });
    return { db, pool, redis };
  });
}
