export { startStack, type Stack, type StackOptions } from "./stack.js";
export { createPostgres, ensureDatabase, type PostgresOptions } from "./postgres.js";
export { createRedis, DURABLE_REDIS_ARGS, type RedisOptions } from "./redis.js";
export { createNats, type NatsOptions } from "./nats.js";
export type { DevServer, ServerName } from "./server.js";
export { freePort, isPortFree, pickPort } from "./ports.js";
export { MissingBinaryError } from "./binaries.js";
export { waitFor } from "./wait.js";
