export { ConfigError, describeEnv, env, formatEnvDocs, loadConfigOrExit, parseEnv, type Env, type VariableDoc } from "./env.js";
export { databaseEnv, natsEnv, redisEnv, serviceEnv } from "./common.js";
export * from "./ingest.js";
export * from "./claim-worker.js";
export * from "./outbox-processor.js";
export * from "./orchestrator.js";
export * from "./metrics-collector.js";
