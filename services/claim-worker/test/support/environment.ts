// What every claim-worker test file starts from: a fresh database, a pool on it and a Redis client
// (on the test stack's Redis, or on a Redis server of the file's own for tests that stop it),
// torn down after the file.
import type { DevServer } from "@m10/devstack";
import { openTestDatabase, privateServer, testStack, useEnvironment, type TestDatabase } from "@m10/devstack/testing";
import { type Pool, createRedisClient, type RedisClient } from "@m10/shared";
import { redisReady, testPool } from "./harness.js";

export interface TestEnvironment {
  db: TestDatabase;
  pool: Pool;
  redis: RedisClient;
  redisUrl: string;
}

export interface PrivateRedisEnvironment extends TestEnvironment {
  /** The file's own Redis server, which a test may stop and start. */
  redisServer: DevServer;
}

/** Registers beforeAll/afterAll for the file; the fields are filled once beforeAll has run. */
export function useTestEnvironment(options: { privateRedis: true }): PrivateRedisEnvironment;
export function useTestEnvironment(options?: { privateRedis?: false }): TestEnvironment;
export function useTestEnvironment(options: { privateRedis?: boolean } = {}): TestEnvironment {
  return useEnvironment(async (defer) => {
    const { db, pool } = await openTestDatabase(defer, testPool);
    const redisServer = options.privateRedis ? await privateServer("redis") : undefined;
    if (redisServer) defer(() => redisServer.stop());
    const redisUrl = redisServer?.url ?? testStack().redisUrl;
    const redis = createRedisClient(redisUrl);
    // A test that stops its own Redis expects the client's reconnect errors.
    if (redisServer) redis.on("error", () => undefined);
    defer(() => redis.disconnect());
    await redisReady(redis);
    return { db, pool, redis, redisUrl, ...(redisServer ? { redisServer } : {}) };
  });
}
