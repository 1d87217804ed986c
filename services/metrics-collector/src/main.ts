// m10-metrics-collector: wiring only. The modules collect (collection.ts, postgres-source.ts,
// redis-source.ts), record (gauge-recorder.ts), loop (collector-loop.ts) and report (report.ts, once.ts).
import {
  createLogger,
  createMetrics,
  createPool,
  createRedisClient,
  createShutdown,
  loadConfigOrExit,
  metricsCollectorConfigSchema,
  safeUrl,
  startHealthServer,
  streamKeys,
} from "@m10/shared";
import { parseCli } from "./cli.js";
import { collectorSources } from "./collection.js";
import { runCollectorLoop } from "./collector-loop.js";
import { createCollectorStatus } from "./collector-status.js";
import { createGaugeRecorder } from "./gauge-recorder.js";
import { collectOnce } from "./once.js";

const cli = parseCli(process.argv);
const config = loadConfigOrExit(metricsCollectorConfigSchema, "m10-metrics-collector");
const logger = createLogger("metrics-collector", cli.debug ? "debug" : config.LOG_LEVEL);
const intervalSeconds = cli.interval ?? config.M10_METRICS_INTERVAL;
const keys = streamKeys(config);

const pool = createPool(config, logger, "m10-metrics-collector");
const redis = createRedisClient(config.REDIS_URL);
// ioredis reports every failed reconnect attempt; the collection logs the outage once.
redis.on("error", (error: unknown) => logger.debug({ err: error }, "redis.connection_error"));
const closeClients = async () => {
  // QUIT needs a connection; a client still reconnecting is simply dropped.
  if (redis.status === "ready") await redis.quit().catch(() => redis.disconnect());
  else redis.disconnect();
  await pool.end();
};

const sources = collectorSources(config, pool, redis, keys);

if (cli.once) {
  const { registry, metrics } = createMetrics("metrics-collector", { defaultMetrics: false });
  const result = await collectOnce(sources, createGaugeRecorder(metrics), registry, keys);
  process.stdout.write(`${JSON.stringify(result.document, null, 2)}\n`);
  await closeClients();
  process.exitCode = result.ok ? 0 : 1;
} else {
  const { registry, metrics } = createMetrics("metrics-collector");
  const shutdown = createShutdown(logger, config.M10_SHUTDOWN_TIMEOUT_MS);
  const status = createCollectorStatus(keys, intervalSeconds);
  shutdown.onStop("clients", closeClients);

  const health = await startHealthServer({
    service: "metrics-collector",
    host: config.M10_HEALTH_HOST,
    port: config.M10_HEALTH_PORT,
    http: config,
    registry,
    logger,
    ready: status.ready,
    detailed: status.detailed,
  });
  shutdown.onStop("health-server", () => health.close());

  let loopFailed = false;
  const loop = runCollectorLoop({
    sources,
    recorder: createGaugeRecorder(metrics),
    intervalMs: intervalSeconds * 1000,
    signal: shutdown.signal,
    logger,
    onCollection: status.update,
  }).catch((error: unknown) => {
    loopFailed = true;
    logger.fatal({ err: error }, "collector.loop_failed");
    shutdown.requestStop("collector_loop_failed");
  });
  shutdown.onStop("collector-loop", () => loop);

  logger.info(
    { url: health.url, interval_seconds: intervalSeconds, database: safeUrl(config.DATABASE_URL), redis: safeUrl(config.REDIS_URL), stream: keys.stream },
    "service.started",
  );
  const code = await shutdown.untilStopped();
  process.exitCode = loopFailed ? 1 : code;
}
