import type { Logger } from "pino";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import { type RedisClient, sleep, throttlePrefix } from "@m10/shared";

/**
 * A fixed window that spreads `rpm` evenly: the shortest whole-second window holding a whole
 * number of requests (600 rpm -> 10 per 1 s, 100 rpm -> 5 per 3 s, 30 rpm -> 1 per 2 s), so
 * bursts stay small and the long-run rate is exact.
 */
export function throttleWindow(rpm: number): { points: number; durationSeconds: number } {
  const divisor = gcd(rpm, 60);
  return { points: rpm / divisor, durationSeconds: 60 / divisor };
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

export type ThrottleResult = { acquired: true; waitedMs: number } | { acquired: false; reason: "timeout" | "aborted"; waitedMs: number };

export interface Throttle {
  /**
   * Takes one request of `target`'s budget, waiting while the window is used up (at most the
   * configured maximum wait, and never past `signal`). rpm 0 = unlimited.
   */
  acquire(target: string, rpm: number, signal?: AbortSignal): Promise<ThrottleResult>;
}

export interface ThrottleOptions {
  /** Shared store; without it (or while it is down) each process throttles on its own. */
  redis: RedisClient | undefined;
  maxWaitMs: number;
  logger: Logger;
  keyPrefix?: string;
}

/**
 * Per-target throttles shared by every processor through Redis (rate-limiter-flexible), with an
 * in-memory insurance limiter that takes over while Redis is unreachable.
 */
export function createThrottle(options: ThrottleOptions): Throttle {
  const limiters = new Map<string, RateLimiterAbstract>();
  const keyPrefix = options.keyPrefix ?? throttlePrefix({});

  const limiterFor = (target: string, rpm: number): RateLimiterAbstract => {
    const id = `${target}:${rpm}`;
    let limiter = limiters.get(id);
    if (!limiter) {
      const { points, durationSeconds } = throttleWindow(rpm);
      const memory = new RateLimiterMemory({ keyPrefix: `${keyPrefix}mem`, points, duration: durationSeconds });
      limiter = options.redis
        ? new RateLimiterRedis({
            storeClient: options.redis,
            keyPrefix: `${keyPrefix}${rpm}`,
            points,
            duration: durationSeconds,
            rejectIfRedisNotReady: true,
            insuranceLimiter: memory,
          })
        : memory;
      limiters.set(id, limiter);
    }
    return limiter;
  };

  return {
    async acquire(target, rpm, signal) {
      const started = Date.now();
      if (rpm <= 0) return { acquired: true, waitedMs: 0 };
      const limiter = limiterFor(target, rpm);
      for (;;) {
        if (signal?.aborted) return { acquired: false, reason: "aborted", waitedMs: Date.now() - started };
        let waitMs: number;
        try {
          await limiter.consume(target);
          return { acquired: true, waitedMs: Date.now() - started };
        } catch (rejection) {
          if (!(rejection instanceof RateLimiterRes)) {
            // Both stores failed: deliver rather than stall every event (the receiver's own
            // 429s still slow us down through the retry path).
            options.logger.warn({ err: rejection, target }, "outbox.throttle_store_failed");
            return { acquired: true, waitedMs: Date.now() - started };
          }
          // A little jitter, so waiters do not all hit the new window in the same millisecond.
          waitMs = rejection.msBeforeNext + Math.floor(Math.random() * 15);
        }
        if (Date.now() + waitMs - started > options.maxWaitMs) return { acquired: false, reason: "timeout", waitedMs: Date.now() - started };
        if (!(await sleep(waitMs, signal))) return { acquired: false, reason: "aborted", waitedMs: Date.now() - started };
      }
    },
  };
}
