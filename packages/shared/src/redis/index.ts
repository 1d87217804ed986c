export { createRedisClient, duplicateForBlocking, redisAnswers, type RedisClient } from "./client.js";
export { OUTBOX_THROTTLE_PREFIX, RATE_LIMIT_PREFIX, streamKeys, type StreamKeys } from "./keys.js";
