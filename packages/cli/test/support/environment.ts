// What the m10ctl tests that need state start from: a fresh database, a pool on it for the
// test's own queries and a client on the test stack's Redis, torn down after the file.
import { openTestDatabase, testStack, useEnvironment, type TestDatabase } from "@m10/devstack/testing";
import { createRedisClient, type RedisClient } from "@m10/shared";
import pg from "pg";

export interface CliTestEnvironment {
  database: TestDatabase;
  db: pg.Pool;
  redis: RedisClient;
}

export function useCliEnvironment(): CliTestEnvironment {
  return useEnvironment(async (defer) => {
    const { db: database, pool } = await openTestDatabase(defer, (url) => new pg.Pool({ connectionString: url, max: 2 }));
    const redis = createRedisClient(testStack().redisUrl, { enableOfflineQueue: true });
    defer(() => redis.disconnect());
    return { database, db: pool, redis };
  });
}
