import { createRedisClient, sleep, type Logger, type RedisClient } from "@m10/shared";
import { connectNats, type NatsConnection } from "@m10/delivery";

/**
 * NATS with endless reconnects. The first connection is retried too (NATS may start after the
 * processor); resolves undefined only when `signal` aborts first.
 */
export async function connectNatsWithRetry(url: string, name: string, logger: Logger, signal: AbortSignal): Promise<NatsConnection | undefined> {
  for (let attempt = 0; !signal.aborted; attempt += 1) {
    try {
      const nc = await connectNats(url, name);
      logger.info({ servers: url }, "nats.connected");
      return nc;
    } catch (error) {
      const waitMs = Math.min(500 * 2 ** Math.min(attempt, 4), 5_000);
      logger.warn({ err: error, retry_in_ms: waitMs }, "nats.connect_failed");
      await sleep(waitMs, signal);
    }
  }
  return undefined;
}

/** The throttle store. ioredis reconnects by itself; errors are logged, and the throttle falls back to memory meanwhile. */
export function connectRedis(url: string, logger: Logger): RedisClient {
  const redis = createRedisClient(url);
  let down = false;
  redis.on("error", (error: Error) => {
    if (!down) logger.warn({ err: error }, "redis.unavailable");
    down = true;
  });
  redis.on("ready", () => {
    if (down) logger.info("redis.recovered");
    down = false;
  });
  return redis;
}

/** Retries `work` until it succeeds or `signal` aborts (start-up steps that need a dependency). */
export async function retryUntilDone(what: string, work: () => Promise<void>, logger: Logger, signal: AbortSignal): Promise<boolean> {
  for (let attempt = 0; !signal.aborted; attempt += 1) {
    try {
      await work();
      return true;
    } catch (error) {
      const waitMs = Math.min(500 * 2 ** Math.min(attempt, 4), 5_000);
      logger.warn({ err: error, step: what, retry_in_ms: waitMs }, "startup.step_failed");
      await sleep(waitMs, signal);
    }
  }
  return false;
}
