// m10-ingest: wiring only. config → logger → pool → redis → app → listen → graceful shutdown.
import {
  createLogger,
  createMetrics,
  createPool,
  createRedisClient,
  createShutdown,
  ingestConfigSchema,
  loadConfigOrExit,
  loadTokenStore,
  TokenFileError,
  UnknownPermissionError,
} from "@m10/shared";
import { buildApp } from "./app.js";
import { parseCli } from "./cli.js";

const cli = parseCli(process.argv);
const config = loadConfigOrExit(ingestConfigSchema, "m10-ingest", { ...process.env, ...cli.env });
const logger = createLogger("ingest", config.LOG_LEVEL);
const shutdown = createShutdown(logger, config.M10_SHUTDOWN_TIMEOUT_MS);

let tokens;
try {
  tokens = loadTokenStore(config);
} catch (error) {
  if (!(error instanceof TokenFileError)) throw error;
  process.stderr.write(`m10-ingest: ${error.message}\n`);
  process.exit(2);
}
if (config.RBAC_ENFORCE && tokens.size === 0) logger.warn("rbac.no_tokens_configured");

const metrics = createMetrics("ingest");
const pool = createPool(config, logger, "m10-ingest");
shutdown.onStop("postgres", () => pool.end());

// Auto-pipelining: commands issued in the same tick by concurrent requests (rate-limit checks,
// XADDs) share one write to Redis.
const redis = createRedisClient(config.REDIS_URL, { enableAutoPipelining: true });
shutdown.onStop("redis", async () => {
  await redis.quit().catch(() => redis.disconnect());
});

let app;
try {
  app = await buildApp({ config, logger, pool, redis, metrics, tokens });
} catch (error) {
  if (!(error instanceof UnknownPermissionError)) throw error;
  process.stderr.write(`m10-ingest: RBAC_ANONYMOUS_PERMISSIONS: ${error.message}\n`);
  process.exit(2);
}
// Stops accepting, lets in-flight requests finish, then (steps run in reverse) closes Redis and the pool.
shutdown.onStop("http", () => app.close());

try {
  await app.listen({ port: config.PORT, host: config.HOST });
} catch (error) {
  logger.fatal({ err: error, port: config.PORT, host: config.HOST }, "service.listen_failed");
  process.exit(1);
}
logger.info({ port: config.PORT, host: config.HOST, rbac_enforce: config.RBAC_ENFORCE, tokens: tokens.size }, "service.started");

process.exitCode = await shutdown.untilStopped();
