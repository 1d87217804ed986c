// Per-tenant rate limits by route group (ingest, recovery, pins), on Redis, failing open. Callers
// without a valid token share none of a tenant's budget: they are limited per client IP by the
// much smaller `anonymous` limit, in the onRequest hook, so a flood of them is answered 429 before
// any database work (a 401's audit record included).
import rateLimit from "@fastify/rate-limit";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { DependencyState, Logger, RedisClient, ServiceMetrics } from "@m10/shared";
import { RateLimitedError } from "../errors.js";
import { groupOfKey, redisWindowStore } from "./redis-window-store.js";

export const ROUTE_GROUPS = ["ingest", "recovery", "pins"] as const;
export type RouteGroup = (typeof ROUTE_GROUPS)[number];

declare module "fastify" {
  interface FastifyContextConfig {
    /** The rate-limit group of a route; routes without one are not limited. */
    routeGroup?: RouteGroup;
  }
}

export interface RateLimitOptions {
  redis: RedisClient;
  /** rateLimitPrefix(keys): <M10_REDIS_KEY_PREFIX>ratelimit: */
  keyPrefix: string;
  windowMs: number;
  max: Readonly<Record<RouteGroup, number>>;
  /** Requests per client IP per window without a valid token (M10_RATE_LIMIT_ANONYMOUS_MAX). */
  anonymousMax: number;
  logger: Logger;
  /** Marked down while the limits fail open (logged once per outage), up when a check succeeds. */
  redisState: DependencyState;
  metrics: Pick<ServiceMetrics<"ingest">, "m10RateLimitBlockedTotal" | "m10RateLimitFailOpenTotal">;
}

/**
 * The rate-limit key: the route group and the tenant of the caller's token; without a valid token,
 * "anonymous" and the client IP (request.ip: the socket's address, or the X-Forwarded-For entry
 * M10_TRUST_PROXY's proxies vouch for).
 */
export function rateLimitKey(request: FastifyRequest, group: RouteGroup | undefined): string {
  return request.principal ? `${group ?? "none"}:tenant:${request.principal.tenant}` : `anonymous:ip:${request.ip}`;
}

export async function registerRateLimits(app: FastifyInstance, options: RateLimitOptions): Promise<void> {
  const groupOf = (request: FastifyRequest): RouteGroup | undefined => request.routeOptions.config.routeGroup;
  await app.register(rateLimit, {
    global: true,
    hook: "onRequest",
    timeWindow: options.windowMs,
    max: (request) => (request.principal ? options.max[groupOf(request) ?? "recovery"] : options.anonymousMax),
    allowList: (request) => groupOf(request) === undefined,
    keyGenerator: (request) => rateLimitKey(request, groupOf(request)),
    skipOnError: true,
    store: redisWindowStore({
      redis: options.redis,
      keyPrefix: options.keyPrefix,
      windowMs: options.windowMs,
      onError: (group, error) => {
        options.metrics.m10RateLimitFailOpenTotal.inc({ route_group: group });
        options.redisState.markDown(error);
      },
      onSuccess: () => options.redisState.markUp(),
    }),
    onExceeded: (request, key) => {
      options.metrics.m10RateLimitBlockedTotal.inc({ route_group: groupOfKey(key) });
      options.logger.debug({ request_id: request.id, key }, "rate_limit.exceeded");
    },
    errorResponseBuilder: (_request, context) => new RateLimitedError(`Rate limit of ${context.max} requests exceeded; retry in ${context.after}`),
  });
}
