// m10-metrics-collector: wiring only. The service's work is added by its own issue; today it serves health and metrics.
import { createLogger, createMetrics, createShutdown, metricsCollectorConfigSchema, loadConfigOrExit, startHealthServer } from "@m10/shared";

const config = loadConfigOrExit(metricsCollectorConfigSchema, "m10-metrics-collector");
const logger = createLogger("metrics-collector", config.LOG_LEVEL);
const { registry } = createMetrics("metrics-collector");
const shutdown = createShutdown(logger, config.M10_SHUTDOWN_TIMEOUT_MS);

const health = await startHealthServer({ service: "metrics-collector", host: config.M10_HEALTH_HOST, port: config.M10_HEALTH_PORT, registry, logger });
shutdown.onStop("health-server", () => health.close());
logger.info({ url: health.url }, "service.started");

process.exitCode = await shutdown.untilStopped();
