// m10-ingest: wiring only. The service's work is added by its own issue; today it serves health and metrics.
import { createLogger, createMetrics, createShutdown, ingestConfigSchema, loadConfigOrExit, startHealthServer } from "@m10/shared";

const config = loadConfigOrExit(ingestConfigSchema, "m10-ingest");
const logger = createLogger("ingest", config.LOG_LEVEL);
const { registry } = createMetrics("ingest");
const shutdown = createShutdown(logger, config.M10_SHUTDOWN_TIMEOUT_MS);

const health = await startHealthServer({ service: "ingest", host: config.M10_HEALTH_HOST, port: config.M10_HEALTH_PORT, registry, logger });
shutdown.onStop("health-server", () => health.close());
logger.info({ url: health.url }, "service.started");

process.exitCode = await shutdown.untilStopped();
