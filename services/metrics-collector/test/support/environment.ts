// What the collector's test files start from: a fresh database and a pool on it, a client on the
// test stack's Redis and stream keys of the file's own (optionally holding the prepared state
// whose gauge values prepared-state.ts lists), all removed after the file.
import { openTestDatabase, streamKeysEnv, testStack, uniqueStreamKeys, useEnvironment, type TestDatabase, type TestStreamKeys } from "@m10/devstack/testing";
import type { Pool, RedisClient } from "@m10/shared";
import { prepareDatabase, prepareStream, testPool, testRedis } from "./prepared-state.js";

export const COLLECTOR_BIN = "services/metrics-collector/bin/m10-metrics-collector.js";

export interface TestEnvironment {
  db: TestDatabase;
  pool: Pool;
  redis: RedisClient;
  keys: TestStreamKeys;
}

/** Registers beforeAll/afterAll for the file (or describe block); with prepared: true the database and stream hold the prepared state. */
export function useTestEnvironment(options: { prepared?: boolean } = {}): TestEnvironment {
  return useEnvironment(async (defer) => {
    const { db, pool } = await openTestDatabase(defer, testPool);
    const redis = testRedis(testStack().redisUrl);
    defer(() => redis.disconnect());
    await redis.ping();
    const keys = uniqueStreamKeys();
    defer(() => redis.del(keys.stream, keys.deadLetter));
    if (options.prepared) {
      await prepareDatabase(pool);
      await prepareStream(redis, keys);
    }
    return { db, pool, redis, keys };
  });
}

/** The collector's environment: the database, Redis and stream keys it reads, collecting every second. */
export function collectorEnv(databaseUrl: string, redisUrl: string, keys: TestStreamKeys, extra: Record<string, string> = {}): Record<string, string> {
  return { DATABASE_URL: databaseUrl, REDIS_URL: redisUrl, ...streamKeysEnv(keys), M10_METRICS_INTERVAL: "1", ...extra };
}
