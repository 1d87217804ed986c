export { createLogger, REDACTED_PATHS, safeUrl, type Logger } from "./logger.js";
export { startHealthServer, type HealthServer, type HealthServerOptions, type ReadyReport, type ReadyStatus } from "./health-server.js";
export * from "./catalogue.js";
export * from "./metrics.js";
