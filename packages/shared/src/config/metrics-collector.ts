// The metrics-collector service's environment: every variable it reads, with its default.
import { z } from "zod";
import { databaseEnv, redisEnv, serviceEnv } from "./common.js";
import { env } from "./env.js";

export const metricsCollectorConfigSchema = z.object({
  ...databaseEnv,
  ...redisEnv,
  ...serviceEnv(9100),
  M10_METRICS_INTERVAL: env.int(30, "seconds between collections", 1),
});
export type MetricsCollectorConfig = z.infer<typeof metricsCollectorConfigSchema>;
