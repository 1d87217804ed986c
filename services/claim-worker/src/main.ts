// m10-claim-worker: wiring only. The service's work is added by its own issue; today it serves health and metrics.
import { createLogger, createMetrics, createShutdown, claimWorkerConfigSchema, loadConfigOrExit, startHealthServer } from "@m10/shared";

const config = loadConfigOrExit(claimWorkerConfigSchema, "m10-claim-worker");
const logger = createLogger("claim-worker", config.LOG_LEVEL);
const { registry } = createMetrics("claim-worker");
const shutdown = createShutdown(logger, config.M10_SHUTDOWN_TIMEOUT_MS);

const health = await startHealthServer({ service: "claim-worker", host: config.M10_HEALTH_HOST, port: config.M10_HEALTH_PORT, registry, logger });
shutdown.onStop("health-server", () => health.close());
logger.info({ url: health.url }, "service.started");

process.exitCode = await shutdown.untilStopped();
