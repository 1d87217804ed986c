// Configuration: parsed once at start-up (zod), one schema per service.
export { type ClaimWorkerConfig, claimWorkerConfigSchema } from "./claim-worker.js";
export { databaseEnv, redisEnv } from "./common.js";
export { type ConsoleConfig, consoleConfigSchema } from "./console.js";
export { exampleReceiverConfigSchema } from "./example-receiver.js";
export { describeEnv, env, formatEnvDocs, loadConfigOrExit, parseEnv } from "./env.js";
export { streamKeysFromEnv } from "./stream-keys-env.js";
export { parseJsonText } from "./json-text.js";
export { commaList, parseAddressRange } from "./address-range.js";
export { type IngestConfig, ingestConfigSchema } from "./ingest.js";
export { metricsCollectorConfigSchema, type MetricsCollectorConfig } from "./metrics-collector.js";
export { maintenanceEnv, type MaintenanceSettings, type OrchestratorConfig, orchestratorConfigSchema } from "./orchestrator.js";
export { type OutboxDeliveryConfig, outboxProcessorConfigSchema } from "./outbox-processor.js";
