// The metrics-collector service's environment: every variable it reads, with its default.
import { z } from "zod";
import { databaseEnv, redisEnv, serviceEnv } from "./common.js";
import { env } from "./env.js";

export const metricsCollectorConfigSchema = z.object({
  ...databaseEnv,
  // The collector runs a handful of small counting queries one after another: two connections are
  // plenty, and a query that takes longer than 10 s is a problem to report, not to wait for.
  M10_DB_POOL_MAX: env.int(2, "maximum connections in this process's pool", 1),
  M10_DB_STATEMENT_TIMEOUT_MS: env.int(10_000, "statement_timeout for every collector query, ms (0 = none)"),
  ...redisEnv,
  ...serviceEnv(9100),
  M10_METRICS_INTERVAL: env.int(30, "seconds between collections", 1),
  M10_METRICS_CONSUMER_ACTIVE_SECONDS: env.int(
    300,
    "a stream consumer counts as active (recovery_stream_consumers) when it interacted with the stream within this many seconds",
    1,
  ),
  M10_METRICS_PENDING_SCAN_LIMIT: env.int(
    10_000,
    "most pending stream entries inspected per collection for m10_reclaim_count (the gauge is a lower bound beyond it)",
    1,
  ),
});
export type MetricsCollectorConfig = z.infer<typeof metricsCollectorConfigSchema>;
