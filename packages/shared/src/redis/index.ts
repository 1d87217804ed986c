// The Redis client and every key name M10 uses.
export {
  createRedisClient,
  redisAnswers,
  type RedisClient,
  RedisUnavailableError,
  requireReady,
  waitUntilReady,
} from "./client.js";
export {
  rateLimitPrefix,
  type RedisKeyConfig,
  type StreamKeys,
  streamKeys,
  sweepMemoKey,
  throttlePrefix,
} from "./keys.js";
export { outboxThrottleWindows, type ThrottleWindowState } from "./throttle-state.js";
