// A @fastify/rate-limit store on the shared Redis: one fixed-window counter per route group and
// tenant (<prefix>ratelimit:<group>:<tenant or ip>), shared by every ingest process. A Redis failure
// is reported to `onError` (logged and counted) and passed on, so the plugin's skipOnError lets
// the request through: rate limiting fails open.
import type { RedisClient } from "@m10/shared";

// INCR, set the window's expiry on the first hit, and return the count and remaining ms.
const WINDOW_SCRIPT = `
local current = redis.call('INCR', KEYS[1])
local ttl = tonumber(ARGV[1])
if current == 1 then
  redis.call('PEXPIRE', KEYS[1], ttl)
else
  ttl = redis.call('PTTL', KEYS[1])
  if ttl < 0 then
    ttl = tonumber(ARGV[1])
    redis.call('PEXPIRE', KEYS[1], ttl)
  end
end
return {current, ttl}`;

type IncrCallback = (error: Error | null, result?: { current: number; ttl: number }) => void;

interface WindowCommand {
  m10RateLimitWindow(key: string, windowMs: number): Promise<[number, number]>;
}

export interface WindowStoreOptions {
  redis: RedisClient;
  /** Where the counters live (rateLimitPrefix of the stream keys). */
  keyPrefix: string;
  windowMs: number;
  onError: (group: string, error: Error) => void;
  onSuccess: () => void;
}

/** The group is the part of the key before the first ":" (see keyGenerator in register.ts). */
export function groupOfKey(key: string): string {
  const index = key.indexOf(":");
  return index === -1 ? "unknown" : key.slice(0, index);
}

/** A store class for the plugin's `store` option, bound to one Redis client. */
export function redisWindowStore(options: WindowStoreOptions) {
  const redis = options.redis as RedisClient & Partial<WindowCommand>;
  if (typeof redis.m10RateLimitWindow !== "function") {
    options.redis.defineCommand("m10RateLimitWindow", { numberOfKeys: 1, lua: WINDOW_SCRIPT });
  }
  const command = redis as RedisClient & WindowCommand;

  return class RedisWindowStore {
    incr(key: string, callback: IncrCallback, timeWindow?: number): void {
      command.m10RateLimitWindow(`${options.keyPrefix}${key}`, timeWindow ?? options.windowMs).then(
        ([current, ttl]) => {
          options.onSuccess();
          callback(null, { current, ttl });
        },
        (error: unknown) => {
          const failure = error instanceof Error ? error : new Error(String(error));
          options.onError(groupOfKey(key), failure);
          callback(failure);
        },
      );
    }

    child(): RedisWindowStore {
      return this;
    }
  };
}
