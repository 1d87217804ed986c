import { connectNats, type NatsConnection } from "@m10/delivery";
import { createRedisClient, DependencyState, type Logger, type RedisClient, retryUntil, watchRedis } from "@m10/shared";

/**
 * NATS with endless reconnects. The first connection is retried too (NATS may start after the
 * processor); resolves undefined only when `signal` aborts first.
 */
export async function connectNatsWithRetry(url: string, name: string, logger: Logger, signal: AbortSignal): Promise<NatsConnection | undefined> {
  const nc = await retryUntil(() => connectNats(url, name), { what: "nats connect", logger, signal, baseMs: 500 });
  if (nc) logger.info({ servers: url }, "nats.connected");
  return nc;
}

/** The throttle store. ioredis reconnects by itself; the throttle falls back to memory meanwhile. */
export function connectRedis(url: string, logger: Logger): RedisClient {
  const redis = createRedisClient(url);
  watchRedis(redis, new DependencyState("redis", logger, { component: "throttle" }), logger);
  return redis;
}
