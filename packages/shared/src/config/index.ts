export { ConfigError, describeEnv, env, formatEnvDocs, loadConfigOrExit, parseEnv, type Env, type VariableDoc } from "./env.js";
export { databaseEnv, natsEnv, redisEnv, serviceEnv } from "./common.js";
export * from "./services.js";
