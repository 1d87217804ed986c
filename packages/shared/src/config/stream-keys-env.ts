// The evaluation stream's names as the services read them from the environment, for programs that
// are not a service (the benchmark, the chaos runner) and must write where the workers read.
import { z } from "zod";
import { type StreamKeys, streamKeys } from "../redis/keys.js";
import { redisEnv } from "./common.js";
import { type Env, parseEnv } from "./env.js";

const streamKeysSchema = z.object({
  M10_REDIS_KEY_PREFIX: redisEnv.M10_REDIS_KEY_PREFIX,
  M10_STREAM_KEY: redisEnv.M10_STREAM_KEY,
  M10_CONSUMER_GROUP: redisEnv.M10_CONSUMER_GROUP,
  M10_DEAD_LETTER_STREAM: redisEnv.M10_DEAD_LETTER_STREAM,
});

/** M10_STREAM_KEY, M10_CONSUMER_GROUP, M10_DEAD_LETTER_STREAM with their defaults for env's REDIS_URL and M10_REDIS_KEY_PREFIX. */
export function streamKeysFromEnv(env: Env = process.env): StreamKeys {
  return streamKeys(parseEnv(streamKeysSchema, env));
}
