// m10-outbox-processor: wiring only. The service's work is added by its own issue; today it serves health and metrics.
import { createLogger, createMetrics, createShutdown, outboxProcessorConfigSchema, loadConfigOrExit, startHealthServer } from "@m10/shared";

const config = loadConfigOrExit(outboxProcessorConfigSchema, "m10-outbox-processor");
const logger = createLogger("outbox-processor", config.LOG_LEVEL);
const { registry } = createMetrics("outbox-processor");
const shutdown = createShutdown(logger, config.M10_SHUTDOWN_TIMEOUT_MS);

const health = await startHealthServer({ service: "outbox-processor", host: config.M10_HEALTH_HOST, port: config.M10_HEALTH_PORT, registry, logger });
shutdown.onStop("health-server", () => health.close());
logger.info({ url: health.url }, "service.started");

process.exitCode = await shutdown.untilStopped();
