// m10-claim-worker: wiring only. The work is in worker.ts and the modules it names.
import {
  claimWorkerConfigSchema,
  createBlockingClient,
  createLogger,
  createMetrics,
  createPool,
  createRedisClient,
  createShutdown,
  holderId,
  listenForNotifications,
  loadConfigOrExit,
  startHealthServer,
  streamKeys,
} from "@m10/shared";
import { parseCli } from "./cli.js";
import { WorkerSettingsError } from "./errors.js";
import { detailedHealth, monitoringView, readiness } from "./health.js";
import { resolveSettings, type ServiceSettings } from "./settings.js";
import { createWorker } from "./worker.js";

const SERVICE = "m10-claim-worker";
const cli = parseCli(process.argv);
const config = loadConfigOrExit(claimWorkerConfigSchema, SERVICE);
let settings: ServiceSettings;
try {
  settings = resolveSettings(config, cli);
} catch (error) {
  if (!(error instanceof WorkerSettingsError)) throw error;
  process.stderr.write(`${SERVICE}: ${error.message}\n`);
  process.exit(2);
}

const logger = createLogger("claim-worker", settings.logLevel);
for (const warning of settings.warnings) logger.warn({ warning }, "settings.warning");
const { registry, metrics } = createMetrics("claim-worker");
const shutdown = createShutdown(logger, config.M10_SHUTDOWN_TIMEOUT_MS);
const consumer = holderId(config.HOSTNAME);
const keys = streamKeys(config);

const pool = createPool(config, logger, SERVICE);
const redis = settings.redisUrl ? createRedisClient(settings.redisUrl) : undefined;
const blockingRedis = settings.redisUrl ? createBlockingClient(settings.redisUrl, settings.worker.blockMs) : undefined;
// ioredis reports connection errors as events; the worker's own calls log outages once per transition.
for (const client of [redis, blockingRedis]) client?.on("error", (error: Error) => logger.debug({ err: error }, "redis.connection_error"));
shutdown.onStop("connections", async () => {
  await pool.end();
  for (const client of [redis, blockingRedis]) client?.disconnect();
});

const worker = createWorker({ pool, redis, blockingRedis, keys, consumer, logger, metrics, options: settings.worker });
const healthDeps = { pool, redis, keys, worker, workStalledSeconds: settings.worker.workStalledSeconds };
const health = await startHealthServer({
  service: "claim-worker",
  host: config.M10_HEALTH_HOST,
  port: config.M10_HEALTH_PORT,
  http: config,
  registry,
  logger,
  ready: readiness(healthDeps),
  detailed: detailedHealth(healthDeps),
  monitoring: monitoringView(healthDeps, registry),
});
shutdown.onStop("health-server", () => health.close());
if (!settings.once) {
  // Push: a committed work_queue item (migration 032's NOTIFY) wakes the empty-queue wait at once.
  const listener = listenForNotifications({
    connectionString: config.DATABASE_URL,
    channel: "m10_work",
    applicationName: `${SERVICE} listen`,
    connectTimeoutMs: config.M10_DB_CONNECT_TIMEOUT_MS,
    logger,
    onNotify: () => worker.wake(),
  });
  shutdown.onStop("work-listener", () => listener.close());
}
logger.info({ url: health.url, consumer, once: settings.once, ...settings.worker }, "service.started");

// --once exits 1 when anything failed or a dependency was unreachable (so not everything was drained).
const work = (
  settings.once
    ? worker.drainOnce().then((totals) => {
        const { postgres, redis: redisState } = worker.status().dependencies;
        const reachable = postgres.up && (redisState === "disabled" || redisState.up);
        logger.info({ ...totals, reachable }, "drain.complete");
        shutdown.requestStop("drained");
        return totals.failed > 0 || !reachable ? 1 : 0;
      })
    : worker.run().then(() => 0)
).catch((error: unknown) => {
  logger.error({ err: error }, "worker.failed");
  shutdown.requestStop("worker_failed");
  return 1;
});
shutdown.onStop("worker", async () => {
  await worker.stop(settings.drainDeadlineMs);
  await work;
});

const code = await shutdown.untilStopped();
process.exitCode = code !== 0 ? code : await work;
