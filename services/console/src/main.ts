// m10-console: wiring only. Pages are route plugins (routes/), reads are @m10/shared and
// @m10/maintenance library calls, the guard (auth/) decides who sees and does what.
import {
  consoleConfigSchema,
  createLogger,
  createMetrics,
  createPool,
  createRedisClient,
  createShutdown,
  holderId,
  loadConfigOrExit,
  loadTokenStore,
  safeUrl,
  streamKeys,
  TokenFileError,
} from "@m10/shared";
import { buildApp } from "./app.js";
import { SessionStore } from "./auth/sessions.js";
import { parseCli } from "./cli.js";
import type { ConsoleContext } from "./context.js";

const cli = parseCli(process.argv);
const config = loadConfigOrExit(consoleConfigSchema, "m10-console");
const logger = createLogger("console", cli.debug ? "debug" : config.LOG_LEVEL);

let tokens;
try {
  tokens = loadTokenStore(config);
} catch (error) {
  if (!(error instanceof TokenFileError)) throw error;
  process.stderr.write(`m10-console: ${error.message}\n`);
  process.exit(2);
}
if (tokens.size === 0) logger.warn("console.no_tokens: set M10_ADMIN_TOKEN or M10_RBAC_TOKENS_FILE, nobody can log in");

const metrics = createMetrics("console");
const pool = createPool(config, logger, "m10-console");
const redisClient = createRedisClient(config.REDIS_URL, { connectionName: "m10-console" });
// ioredis reports every failed reconnect; the pages say "Redis does not answer" instead.
redisClient.on("error", (error: unknown) => logger.debug({ err: error }, "redis.connection_error"));

const ctx: ConsoleContext = {
  config,
  pool,
  redisClient,
  keys: streamKeys(config),
  tokens,
  sessions: new SessionStore(config.M10_CONSOLE_SESSION_TTL_SECONDS * 1000, config.M10_CONSOLE_MAX_SESSIONS),
  metrics: metrics.metrics,
  logger,
  holder: `console:${holderId(config.HOSTNAME)}`,
};

const shutdown = createShutdown(logger, config.M10_SHUTDOWN_TIMEOUT_MS);
shutdown.onStop("clients", async () => {
  if (redisClient.status === "ready") await redisClient.quit().catch(() => redisClient.disconnect());
  else redisClient.disconnect();
  await pool.end();
});
const app = buildApp(ctx, metrics);
// Stops accepting, lets in-flight requests finish (return503OnClosing answers new ones 503).
shutdown.onStop("http", () => app.close());

const host = cli.host ?? config.HOST;
const address = await app.listen({ host, port: cli.port ?? config.PORT });
logger.info({ url: address, host, database: safeUrl(config.DATABASE_URL), redis: safeUrl(config.REDIS_URL), tokens: tokens.size }, "service.started");
process.exitCode = await shutdown.untilStopped();
