/** Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff and Jitter"). */
export interface BackoffPolicy {
  baseSeconds: number;
  maxSeconds: number;
}

/** The upper bound of the delay after a failure when `retryCount` attempts had already failed: min(max, base * 2^retryCount). */
export function backoffCeilingSeconds(retryCount: number, policy: BackoffPolicy): number {
  const exponent = Math.min(Math.max(retryCount, 0), 30);
  return Math.min(policy.maxSeconds, policy.baseSeconds * 2 ** exponent);
}

/**
 * Seconds until the next attempt, uniformly random in [0, ceiling] and rounded up to whole seconds
 * (complete_outbox_event takes an integer delay). `random` is injectable for tests.
 */
export function retryDelaySeconds(retryCount: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  return Math.ceil(random() * backoffCeilingSeconds(retryCount, policy));
}

/**
 * The next delay for a failure: the receiver's Retry-After when it sent one (capped at the
 * policy's maximum), otherwise the jittered backoff.
 */
export function nextRetryDelaySeconds(
  retryCount: number,
  policy: BackoffPolicy,
  retryAfterSeconds: number | undefined,
  random: () => number = Math.random,
): number {
  if (retryAfterSeconds !== undefined) return Math.ceil(Math.min(Math.max(retryAfterSeconds, 0), policy.maxSeconds));
  return retryDelaySeconds(retryCount, policy, random);
}

/** A Retry-After header value (delta-seconds or an HTTP-date, RFC 9110 §10.2.3) in seconds from `now`; undefined when absent or unparseable. */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now) / 1000));
}
