// What a command needs, created on first use and closed when the command ends: configuration,
// a logger on stderr, the PostgreSQL pool, the Redis client and m10ctl's lock holder id.
import {
  createLogger,
  createMetrics,
  createPool,
  createRedisClient,
  holderId,
  loadConfigOrExit,
  type Logger,
  type Pool,
  type RedisClient,
  requireReady,
  safeUrl,
  type ServiceMetrics,
  streamKeys,
  type StreamKeys,
} from "@m10/shared";
import { m10ctlConfigSchema, type M10ctlConfig } from "./config.js";
import { CommandError } from "./output.js";

export interface Context {
  readonly config: M10ctlConfig;
  readonly logger: Logger;
  readonly keys: StreamKeys;
  /** m10ctl:<host>:<pid>:<rand>: the holder of the locks this command takes. */
  readonly holder: string;
  /** m10ctl's catalogue metrics (visible only in what the command prints; nothing scrapes m10ctl). */
  readonly metrics: ServiceMetrics<"m10ctl">;
  db(): Pool;
  redis(): Promise<RedisClient>;
  databaseUrl(): string;
  close(): Promise<void>;
}

let current: Context | undefined;

export function context(): Context {
  if (current) return current;
  const config = loadConfigOrExit(m10ctlConfigSchema, "m10ctl");
  const logger = createLogger("m10ctl", config.LOG_LEVEL);
  const { metrics } = createMetrics("m10ctl", { defaultMetrics: false });
  let pool: Pool | undefined;
  let redis: RedisClient | undefined;
  const databaseUrl = () => {
    if (!config.DATABASE_URL) throw new CommandError("DATABASE_URL is not set (source .m10/stack.env after `make up`, or export it)", 2);
    return config.DATABASE_URL;
  };
  current = {
    config,
    logger,
    keys: streamKeys(config),
    holder: `m10ctl:${holderId(config.HOSTNAME)}`,
    metrics,
    databaseUrl,
    db() {
      pool ??= createPool({ ...config, DATABASE_URL: databaseUrl() }, logger, "m10ctl");
      return pool;
    },
    async redis() {
      if (!redis) {
        // A few quick retries, then give up: an operator's command should fail within seconds when
        // Redis is down, but one slow connect (a loaded host, a cluster's first node) is no outage.
        redis = createRedisClient(config.REDIS_URL, { connectionName: "m10ctl", retryStrategy: (attempt) => (attempt <= 3 ? 250 * attempt : null) });
        redis.on("error", (error: Error) => logger.debug({ err: error }, "redis.connection_error"));
      }
      await requireReady(redis, 8_000, safeUrl(config.REDIS_URL));
      return redis;
    },
    async close() {
      await pool?.end().catch(() => undefined);
      if (redis) await redis.quit().catch(() => redis?.disconnect());
      current = undefined;
    },
  };
  return current;
}

/** Closes what the command opened (connections), so the process can exit. */
export async function closeContext(): Promise<void> {
  await current?.close();
}

