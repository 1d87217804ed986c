// The per-file setup most claim-worker tests share: a fresh database, a pool on it and a Redis
// client on the shared test Redis, torn down after the file.
import { createTestDatabase, testStack, type TestDatabase } from "@m10/devstack/testing";
import { type Pool, createRedisClient, type RedisClient } from "@m10/shared";
import { afterAll, beforeAll } from "vitest";
import { redisReady, testPool } from "./harness.js";

export interface TestEnvironment {
  db: TestDatabase;
  pool: Pool;
  redis: RedisClient;
}

/** Registers beforeAll/afterAll for the file; the fields are filled once beforeAll has run. */
export function useTestEnvironment(): TestEnvironment {
  const env = {} as TestEnvironment;
  beforeAll(async () => {
    env.db = await createTestDatabase();
    env.pool = testPool(env.db.url);
    env.redis = createRedisClient(testStack().redisUrl);
    await redisReady(env.redis);
  });
  afterAll(async () => {
    env.redis.disconnect();
    await env.pool.end();
    await env.db.drop();
  });
  return env;
}
