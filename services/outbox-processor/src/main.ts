// m10-outbox-processor: wiring only. Delivery is @m10/delivery's engine (the orchestrator's
// outbox_process task runs the same one); the lanes and the --once run are processor.ts.
import { deliverySettings, loadRoutingOrExit, type NatsConnection } from "@m10/delivery";
import {
  createLogger,
  createMetrics,
  createPool,
  createShutdown,
  holderId,
  listenForNotifications,
  loadConfigOrExit,
  type NotificationListener,
  outboxProcessorConfigSchema,
  retryUntil,
  startHealthServer,
} from "@m10/shared";
import { parseCli } from "./cli.js";
import { connectNatsWithRetry, connectRedis } from "./connections.js";
import { createProcessor, runDelivery, type Processor } from "./processor.js";
import { monitoringView, readiness } from "./readiness.js";

/** migration 032's NOTIFY channel: a committed outbox event or a claim given back. */
const OUTBOX_CHANNEL = "m10_outbox";

/** --once gives up on an unreachable NATS after this long instead of waiting for ever. */
const ONCE_STARTUP_LIMIT_MS = 30_000;

const options = parseCli(process.argv);
const config = loadConfigOrExit(outboxProcessorConfigSchema, "m10-outbox-processor");
const logger = createLogger("outbox-processor", options.debug ? "debug" : config.LOG_LEVEL);
const routing = loadRoutingOrExit(config, "m10-outbox-processor");
const usesNats = [...routing.targets.values()].some((target) => target.type === "nats");
const { registry, metrics } = createMetrics("outbox-processor");
const shutdown = createShutdown(logger, config.M10_SHUTDOWN_TIMEOUT_MS);
const processorId = holderId(config.HOSTNAME);

const pool = createPool(config, logger, "m10-outbox-processor");
shutdown.onStop("postgres", () => pool.end());
const redis = connectRedis(config.REDIS_URL, logger);
shutdown.onStop("redis", () => redis.disconnect());
let nats: NatsConnection | undefined;
let processor: Processor | undefined;
let listener: NotificationListener | undefined;

const health = await startHealthServer({
  service: "outbox-processor",
  host: config.M10_HEALTH_HOST,
  port: config.M10_HEALTH_PORT,
  http: config,
  registry,
  logger,
  ...readiness({ pool, redis, usesNats, nats: () => nats, processor: () => processor, listening: () => listener?.connected() }),
  monitoring: monitoringView({ pool, processor: () => processor }, registry),
});
shutdown.onStop("health-server", () => health.close());
logger.info({ url: health.url, processor_id: processorId, routing: routing.source, once: options.once }, "service.started");

// Start-up waits for NATS (when a route needs it) and its streams; --once only for so long.
const startup = options.once ? AbortSignal.any([shutdown.signal, AbortSignal.timeout(ONCE_STARTUP_LIMIT_MS)]) : shutdown.signal;
if (usesNats) nats = await connectNatsWithRetry(config.NATS_URL, `m10-outbox-processor ${processorId}`, logger, startup);
const connection = nats;
if (connection) shutdown.onStop("nats", () => connection.drain());

let exitCode = 1;
if (!usesNats || nats) {
  const started = createProcessor({
    pool,
    redis,
    nats,
    logger,
    metrics,
    routing,
    settings: deliverySettings(config),
    processorId,
    batchSize: options.batchSize ?? config.OUTBOX_BATCH_SIZE,
    concurrency: options.concurrency ?? config.OUTBOX_CONCURRENCY,
    pollIntervalMs: (options.pollInterval ?? config.OUTBOX_POLL_INTERVAL) * 1000,
    maxInFlight: options.maxInFlight ?? config.OUTBOX_MAX_IN_FLIGHT,
  });
  processor = started;
  shutdown.onStop("delivery-engine", () => started.close());
  if (!options.once) {
    // Push: every committed outbox event (migration 032's NOTIFY) wakes an idle lane at once.
    const listening = listenForNotifications({
      connectionString: config.DATABASE_URL,
      channel: OUTBOX_CHANNEL,
      applicationName: "m10-outbox-processor listen",
      connectTimeoutMs: config.M10_DB_CONNECT_TIMEOUT_MS,
      logger,
      onNotify: () => started.wake(),
    });
    listener = listening;
    shutdown.onStop("outbox-listener", () => listening.close());
  }
  if (await retryUntil(() => started.start().then(() => true), { what: "nats streams", logger, signal: startup, baseMs: 500 })) {
    const run = await runDelivery(started, { once: options.once, signal: shutdown.signal, logger });
    exitCode = run.exitCode;
    shutdown.onStop("delivery-loop", () => run.loopDone.then(() => undefined));
  }
}

if (options.once) shutdown.requestStop(exitCode === 0 ? "once_done" : "once_failed");
process.exitCode = Math.max(await shutdown.untilStopped(), options.once ? exitCode : 0);
