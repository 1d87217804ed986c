import { freePort } from "@m10/devstack";
import { testStack } from "@m10/devstack/testing";
import { Cluster, Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { createRedisClient, redisAnswers, RedisUnavailableError, requireReady, waitUntilReady } from "../src/redis/index.js";

describe("redis client factory", () => {
  it("connects to a standalone URL and answers PING", async () => {
    const client = createRedisClient(testStack().redisUrl);
    try {
      await new Promise((resolve) => client.once("ready", resolve));
      expect(await redisAnswers(client)).toBe(true);
    } finally {
      client.disconnect();
    }
  });

  it("builds a Sentinel client from redis-sentinel:// and a Cluster client from redis-cluster://", () => {
    const sentinel = createRedisClient("redis-sentinel://:pw@127.0.0.1:26379,127.0.0.2:26380/m10master?db=2", { lazyConnect: true });
    const cluster = createRedisClient("redis-cluster://127.0.0.1:7000,127.0.0.2:7001", { lazyConnect: true });
    try {
      expect(sentinel).toBeInstanceOf(Redis);
      const options = (sentinel as Redis).options;
      expect(options.sentinels).toEqual([
        { host: "127.0.0.1", port: 26379 },
        { host: "127.0.0.2", port: 26380 },
      ]);
      expect(options.name).toBe("m10master");
      expect(options.db).toBe(2);
      expect(options.password).toBe("pw");
      expect(cluster).toBeInstanceOf(Cluster);
    } finally {
      sentinel.disconnect();
      cluster.disconnect();
    }
  });

  it("reports false instead of hanging when Redis is unreachable", async () => {
    const client = createRedisClient("redis://127.0.0.1:1");
    try {
      expect(await redisAnswers(client, 200)).toBe(false);
    } finally {
      client.disconnect();
    }
  });

  it("waitUntilReady answers true for a connected client, and false at once for one that gave up connecting", async () => {
    const up = createRedisClient(testStack().redisUrl);
    const gone = createRedisClient(`redis://127.0.0.1:${await freePort()}`, { retryStrategy: () => null });
    gone.on("error", () => undefined);
    try {
      expect(await waitUntilReady(up, 10_000)).toBe(true);
      const started = Date.now();
      expect(await waitUntilReady(gone, 30_000)).toBe(false);
      expect(Date.now() - started).toBeLessThan(10_000);
      await expect(requireReady(gone, 30_000, "redis://127.0.0.1")).rejects.toBeInstanceOf(RedisUnavailableError);
    } finally {
      up.disconnect();
      gone.disconnect();
    }
  });
});
