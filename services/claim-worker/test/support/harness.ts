// An in-process worker on the test servers, with its own stream keys (uniqueStreamKeys) so tests never share Redis state.
import { randomBytes } from "node:crypto";
import { waitUntil } from "@m10/devstack/testing";
import { createPool, type Pool, createLogger, type Logger, createMetrics, createBlockingClient, createRedisClient, type RedisClient, type StreamKeys } from "@m10/shared";
import { createWorker, type Worker, type WorkerOptions } from "../../src/worker.js";

export const logger: Logger = createLogger("claim-worker-test", process.env.TEST_LOG_LEVEL ?? "silent");

export const TEST_OPTIONS: WorkerOptions = {
  batchSize: 50,
  pollIntervalMs: 100,
  concurrency: 2,
  useStream: true,
  blockMs: 200,
  claimIdleMs: 500,
  maxReclaimAttempts: 3,
  reclaimIntervalMs: 100,
  maxReclaimPerLoop: 100,
  reclaimMaxBackoffMs: 60_000,
  leaseMs: 300,
  workStalledSeconds: 300,
  releaseStalledIntervalMs: 60_000,
  historyLimit: 50,
  autoExecuteMinConfidence: 0.8,
};

export interface TestWorker {
  worker: Worker;
  pool: Pool;
  redis: RedisClient | undefined;
  consumer: string;
  metricsText(): Promise<string>;
  close(): Promise<void>;
}

export function testPool(url: string): Pool {
  return createPool({ DATABASE_URL: url, M10_DB_POOL_MAX: 10, M10_DB_CONNECT_TIMEOUT_MS: 5_000, M10_DB_STATEMENT_TIMEOUT_MS: 30_000 }, logger, "claim-worker-test");
}

/** Resolves once the client is connected (commands fail fast while connecting: no offline queue). */
export function redisReady(client: RedisClient): Promise<void> {
  return waitUntil("Redis client ready", () => client.status === "ready", { intervalMs: 10 });
}

export async function testWorker(options: {
  databaseUrl: string;
  redisUrl?: string;
  keys: StreamKeys;
  settings?: Partial<WorkerOptions>;
  consumer?: string;
}): Promise<TestWorker> {
  const pool = testPool(options.databaseUrl);
  const settings = { ...TEST_OPTIONS, ...options.settings };
  const redis = options.redisUrl ? createRedisClient(options.redisUrl) : undefined;
  const blockingRedis = options.redisUrl ? createBlockingClient(options.redisUrl, settings.blockMs) : undefined;
  for (const client of [redis, blockingRedis]) client?.on("error", () => undefined);
  const { registry, metrics } = createMetrics("claim-worker", { defaultMetrics: false });
  const consumer = options.consumer ?? `test-worker:${randomBytes(3).toString("hex")}`;
  for (const client of [redis, blockingRedis]) if (client) await redisReady(client);
  const worker = createWorker({ pool, redis, blockingRedis, keys: options.keys, consumer, logger, metrics, options: settings });
  return {
    worker,
    pool,
    redis,
    consumer,
    metricsText: () => registry.metrics(),
    close: async () => {
      await worker.stop(5_000);
      await pool.end();
      for (const client of [redis, blockingRedis]) client?.disconnect();
    },
  };
}
