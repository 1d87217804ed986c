// m10-outbox-processor: wiring only. Delivery lives in @m10/shared/delivery (the orchestrator's
// outbox_process task runs the same engine); the polling loop in processor.ts.
import { retryUntil, createLogger, createMetrics, createPool, createShutdown, holderId, loadConfigOrExit, outboxProcessorConfigSchema, startHealthServer } from "@m10/shared";
import { type NatsConnection, deliverySettings, RoutingConfigError, loadRoutingConfig, type RoutingConfig } from "@m10/delivery";
import { parseCli } from "./cli.js";
import { connectNatsWithRetry, connectRedis } from "./connections.js";
import { createProcessor, type Processor } from "./processor.js";
import { readiness } from "./readiness.js";

/** --once gives up on an unreachable NATS after this long instead of waiting for ever. */
const ONCE_STARTUP_LIMIT_MS = 30_000;

const options = parseCli(process.argv);
const config = loadConfigOrExit(outboxProcessorConfigSchema, "m10-outbox-processor");
const logger = createLogger("outbox-processor", options.debug ? "debug" : config.LOG_LEVEL);

let routing: RoutingConfig;
try {
  routing = loadRoutingConfig(config);
} catch (error) {
  if (!(error instanceof RoutingConfigError)) throw error;
  process.stderr.write(`m10-outbox-processor: ${error.message}\n`);
  process.exit(2);
}

const { registry, metrics } = createMetrics("outbox-processor");
const shutdown = createShutdown(logger, config.M10_SHUTDOWN_TIMEOUT_MS);
const processorId = holderId(config.HOSTNAME);
const usesNats = [...routing.targets.values()].some((target) => target.type === "nats");

const pool = createPool(config, logger, "m10-outbox-processor");
shutdown.onStop("postgres", () => pool.end());
const redis = connectRedis(config.REDIS_URL, logger);
shutdown.onStop("redis", () => redis.disconnect());
let nats: NatsConnection | undefined;
let processor: Processor | undefined;

const health = await startHealthServer({
  service: "outbox-processor",
  host: config.M10_HEALTH_HOST,
  port: config.M10_HEALTH_PORT,
  registry,
  logger,
  ...readiness({ pool, redis, usesNats, nats: () => nats, processor: () => processor }),
});
shutdown.onStop("health-server", () => health.close());
logger.info({ url: health.url, processor_id: processorId, routing: routing.source, once: options.once }, "service.started");

const startup = options.once ? AbortSignal.any([shutdown.signal, AbortSignal.timeout(ONCE_STARTUP_LIMIT_MS)]) : shutdown.signal;
if (usesNats) {
  nats = await connectNatsWithRetry(config.NATS_URL, `m10-outbox-processor ${processorId}`, logger, startup);
  const connection = nats;
  if (connection) shutdown.onStop("nats", () => connection.drain());
}

let exitCode = 0;
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
  });
  processor = started;
  shutdown.onStop("delivery-engine", () => started.close());
  if (await retryUntil(() => started.start().then(() => true), { what: "nats streams", logger, signal: startup, baseMs: 500 })) {
    if (options.once) {
      try {
        const report = await started.runOnce(shutdown.signal);
        process.stdout.write(`${JSON.stringify(report)}\n`);
        exitCode = report.failed > 0 || report.completionErrors > 0 ? 1 : 0;
      } catch (error) {
        logger.error({ err: error }, "outbox.batch_failed");
        exitCode = 1;
      }
    } else {
      const loop = started.run(shutdown.signal);
      shutdown.onStop("delivery-loop", () => loop.then(() => undefined));
    }
  } else if (options.once) exitCode = 1;
} else if (options.once) exitCode = 1;

if (options.once) shutdown.requestStop(exitCode === 0 ? "once_done" : "once_failed");
process.exitCode = Math.max(await shutdown.untilStopped(), exitCode);
