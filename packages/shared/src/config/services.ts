import { z } from "zod";
import { databaseEnv, natsEnv, redisEnv, serviceEnv } from "./common.js";
import { env } from "./env.js";

// One schema per service. Each lists every variable the service reads, with its default.

export const ingestConfigSchema = z.object({
  ...databaseEnv,
  ...redisEnv,
  ...serviceEnv(8000),
  PORT: env.int(8000, "HTTP port of the ingest API (the runbooks curl localhost:8000)"),
  HOST: env.string("0.0.0.0", "address the ingest API binds"),
});
export type IngestConfig = z.infer<typeof ingestConfigSchema>;

export const claimWorkerConfigSchema = z.object({
  ...databaseEnv,
  ...redisEnv,
  ...serviceEnv(9101),
});
export type ClaimWorkerConfig = z.infer<typeof claimWorkerConfigSchema>;

export const outboxProcessorConfigSchema = z.object({
  ...databaseEnv,
  ...redisEnv,
  ...natsEnv,
  ...serviceEnv(9102),
});
export type OutboxProcessorConfig = z.infer<typeof outboxProcessorConfigSchema>;

export const orchestratorConfigSchema = z.object({
  ...databaseEnv,
  ...redisEnv,
  ...natsEnv,
  ...serviceEnv(9103),
});
export type OrchestratorConfig = z.infer<typeof orchestratorConfigSchema>;

export const metricsCollectorConfigSchema = z.object({
  ...databaseEnv,
  ...redisEnv,
  ...serviceEnv(9100),
  M10_METRICS_INTERVAL: env.int(30, "seconds between collections", 1),
});
export type MetricsCollectorConfig = z.infer<typeof metricsCollectorConfigSchema>;
