// The Redis client and every key name M10 uses.
export {
  createRedisClient,
  redisAnswers,
  type RedisClient,
  RedisUnavailableError,
  requireReady,
  waitUntilReady,
} from "./client.js";
export { OUTBOX_THROTTLE_PREFIX, RATE_LIMIT_PREFIX, type StreamKeys, streamKeys } from "./keys.js";
export { outboxThrottleWindows, type ThrottleWindowState } from "./throttle-state.js";
