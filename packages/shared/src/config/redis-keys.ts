// The defaults of the Redis key variables depend on REDIS_URL and on each other, which a zod
// field default cannot express: this fills them in before the schema parses the environment,
// and refuses stream names a Redis Cluster could not run the dead-letter move on.
import { defaultKeyPrefix, hashTag, isClusterUrl } from "../redis/keys.js";
import type { Env } from "./env.js";

/** `env` with M10_REDIS_KEY_PREFIX, M10_STREAM_KEY and M10_DEAD_LETTER_STREAM filled in where unset. */
export function withRedisKeyDefaults(env: Env): Env {
  const prefix = env.M10_REDIS_KEY_PREFIX ?? defaultKeyPrefix(env.REDIS_URL);
  return {
    ...env,
    M10_REDIS_KEY_PREFIX: prefix,
    M10_STREAM_KEY: env.M10_STREAM_KEY ?? `${prefix}evaluate:stream`,
    M10_DEAD_LETTER_STREAM: env.M10_DEAD_LETTER_STREAM ?? `${prefix}evaluate:dead-letter`,
  };
}

/** Problems with the key names for this REDIS_URL (none outside cluster mode). */
export function redisKeyIssues(env: Env): string[] {
  if (!isClusterUrl(env.REDIS_URL)) return [];
  const { M10_STREAM_KEY: stream = "", M10_DEAD_LETTER_STREAM: deadLetter = "" } = env;
  if (hashTag(stream) === hashTag(deadLetter)) return [];
  return [
    `M10_DEAD_LETTER_STREAM: on a Redis Cluster it must share a hash tag with M10_STREAM_KEY (e.g. {m10}:evaluate:stream and {m10}:evaluate:dead-letter), got ${stream} and ${deadLetter}`,
  ];
}
