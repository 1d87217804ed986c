// Every Redis key name M10 uses, from configuration. All of them start with M10_REDIS_KEY_PREFIX:
// "m10:" on a single Redis (the runbooks' names), "{m10}:" on a Redis Cluster, where the hash tag
// puts every M10 key in one slot so the scripts and MULTIs that touch several keys (the
// dead-letter move: stream + dead-letter stream) never fail with CROSSSLOT.

/** The names on a single Redis or behind Sentinel (the Recovery Operations Runbook's table). */
export const DEFAULT_KEY_PREFIX = "m10:";
/** The names on a Redis Cluster: one hash tag for every key. */
export const CLUSTER_KEY_PREFIX = "{m10}:";

/** The names of the evaluation stream (defaults: <prefix>evaluate:stream, m10:evaluate:group, <prefix>evaluate:dead-letter). */
export interface StreamKeys {
  stream: string;
  group: string;
  deadLetter: string;
  /** M10_REDIS_KEY_PREFIX; absent = DEFAULT_KEY_PREFIX. */
  prefix?: string;
}

export interface RedisKeyConfig {
  M10_STREAM_KEY: string;
  M10_CONSUMER_GROUP: string;
  M10_DEAD_LETTER_STREAM: string;
  M10_REDIS_KEY_PREFIX: string;
}

export function streamKeys(config: RedisKeyConfig): StreamKeys {
  return { stream: config.M10_STREAM_KEY, group: config.M10_CONSUMER_GROUP, deadLetter: config.M10_DEAD_LETTER_STREAM, prefix: config.M10_REDIS_KEY_PREFIX };
}

/** True for a redis-cluster:// REDIS_URL. */
export function isClusterUrl(url: string | undefined): boolean {
  return (url ?? "").trim().toLowerCase().startsWith("redis-cluster://");
}

/** The prefix when M10_REDIS_KEY_PREFIX is not set: the hash-tagged one on a cluster. */
export function defaultKeyPrefix(redisUrl: string | undefined): string {
  return isClusterUrl(redisUrl) ? CLUSTER_KEY_PREFIX : DEFAULT_KEY_PREFIX;
}

/**
 * The part of a key Redis Cluster hashes: the first non-empty {...}, else the whole key
 * (the rule of CLUSTER KEYSLOT). Keys with the same hash tag live in the same slot.
 */
export function hashTag(key: string): string {
  const open = key.indexOf("{");
  if (open === -1) return key;
  const close = key.indexOf("}", open + 1);
  return close === -1 || close === open + 1 ? key : key.slice(open + 1, close);
}

const prefixOf = (keys: Pick<StreamKeys, "prefix">): string => keys.prefix ?? DEFAULT_KEY_PREFIX;

/** Rate-limit counters of the ingest API: <prefix>ratelimit:<group>:<tenant or ip>. */
export const rateLimitPrefix = (keys: Pick<StreamKeys, "prefix">): string => `${prefixOf(keys)}ratelimit:`;
/** Outbox throttles shared by every processor: <prefix>throttle:<rpm>:<target>. */
export const throttlePrefix = (keys: Pick<StreamKeys, "prefix">): string => `${prefixOf(keys)}throttle:`;
/** The pending sweep's memo of recently re-enqueued candidates (a sorted set). */
export const sweepMemoKey = (keys: Pick<StreamKeys, "prefix">): string => `${prefixOf(keys)}sweep:requeued`;
