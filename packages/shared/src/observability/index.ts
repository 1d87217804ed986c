// Logs, metrics (the one catalogue), health endpoints.
export { metricSpecByName, type ServiceName } from "./catalogue.js";
export { type ReadyReport, startHealthServer } from "./health-server.js";
export { type HttpServerSettings, httpTimeouts } from "./http-timeouts.js";
export { createLogger, type Logger, safeUrl } from "./logger.js";
export { createMetrics, type M10Metrics, type ServiceMetrics } from "./metrics.js";
export { metricTotal, metricTotalsBy, MONITORING_METRICS_PATH, successRate } from "./metrics-view.js";
export { DependencyState, type DependencyName, watchRedis } from "./dependency-state.js";
export { M10_SERVICES, serviceHealth, type ServiceHealth, type ServiceHealthOptions, type ServiceState } from "./service-health.js";
