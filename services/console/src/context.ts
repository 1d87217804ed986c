// What every route needs, made once in main.ts and decorated onto the app: settings, the pool,
// Redis, the stream keys, tokens and sessions, metrics and the console's lock holder id.
import {
  type ConsoleConfig,
  type DeadLetterOperationsDeps,
  type Logger,
  type Pool,
  type RedisClient,
  requireReady,
  safeUrl,
  type ServiceMetrics,
  type StreamKeys,
  type TokenStore,
} from "@m10/shared";
import type { SessionStore } from "./auth/sessions.js";

export interface ConsoleContext {
  config: ConsoleConfig;
  pool: Pool;
  redisClient: RedisClient;
  keys: StreamKeys;
  tokens: TokenStore;
  sessions: SessionStore;
  metrics: ServiceMetrics<"console">;
  logger: Logger;
  /** console:<host>:<pid>:<rand>: holder of the locks a "run now" takes. */
  holder: string;
}

/** Redis once it answers (a page shows "unavailable" instead of waiting on reconnects). */
export async function readyRedis(ctx: ConsoleContext): Promise<RedisClient> {
  await requireReady(ctx.redisClient, 2_000, safeUrl(ctx.config.REDIS_URL));
  return ctx.redisClient;
}

/** The dead-letter operations of m10ctl dlq, acting as `actor` (the token's subject). */
export function deadLetterDeps(ctx: ConsoleContext, actor: string): DeadLetterOperationsDeps {
  return { db: ctx.pool, redis: () => readyRedis(ctx), keys: ctx.keys, actor: `console:${actor}`, logger: ctx.logger, metrics: ctx.metrics };
}
