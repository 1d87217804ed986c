// m10-orchestrator: wiring only. The service's work is added by its own issue; today it serves health and metrics.
import { createLogger, createMetrics, createShutdown, orchestratorConfigSchema, loadConfigOrExit, startHealthServer } from "@m10/shared";

const config = loadConfigOrExit(orchestratorConfigSchema, "m10-orchestrator");
const logger = createLogger("orchestrator", config.LOG_LEVEL);
const { registry } = createMetrics("orchestrator");
const shutdown = createShutdown(logger, config.M10_SHUTDOWN_TIMEOUT_MS);

const health = await startHealthServer({ service: "orchestrator", host: config.M10_HEALTH_HOST, port: config.M10_HEALTH_PORT, registry, logger });
shutdown.onStop("health-server", () => health.close());
logger.info({ url: health.url }, "service.started");

process.exitCode = await shutdown.untilStopped();
