/** The Redis names M10 uses, from configuration (defaults: the Recovery Operations Runbook's table). */
export interface StreamKeys {
  stream: string;
  group: string;
  deadLetter: string;
}

export function streamKeys(config: { M10_STREAM_KEY: string; M10_CONSUMER_GROUP: string; M10_DEAD_LETTER_STREAM: string }): StreamKeys {
  return { stream: config.M10_STREAM_KEY, group: config.M10_CONSUMER_GROUP, deadLetter: config.M10_DEAD_LETTER_STREAM };
}

/** Prefix of the rate-limit counters of the ingest API and the outbox throttles. */
export const RATE_LIMIT_PREFIX = "m10:ratelimit:";
export const OUTBOX_THROTTLE_PREFIX = "m10:throttle:";
