import type { OutboxDeadLetterReason } from "@m10/shared";
import { nextRetryDelaySeconds, type BackoffPolicy } from "./backoff.js";

/**
 * When a failed delivery is tried again and when it is given up: a retry budget in time
 * (OUTBOX_RETRY_BUDGET_SECONDS after the event was published, 24 h by default) with the capped,
 * jittered backoff between attempts, so an outage of one target for hours loses nothing; an
 * optional cap on the number of failures (OUTBOX_MAX_RETRIES); a permanent failure ends at once.
 */
export interface RetryPolicy {
  backoff: BackoffPolicy;
  /** Seconds after publication within which a retryable failure is retried. */
  retryBudgetSeconds: number;
  /** Failed attempts after which the next failure dead-letters the event; undefined = no limit. */
  maxRetries: number | undefined;
}

export type FailureDecision = { kind: "retry"; delaySeconds: number } | { kind: "dead_letter"; reason: OutboxDeadLetterReason };

/**
 * The decision after a failed attempt of an event published `ageSeconds` ago that had failed
 * `retryCount` times before. The next attempt never falls past the budget: the last one is due
 * when the budget ends, and a failure from then on dead-letters the event.
 */
export function decideAfterFailure(
  failure: { permanent: boolean; retryAfterSeconds?: number },
  retryCount: number,
  ageSeconds: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): FailureDecision {
  if (failure.permanent) return { kind: "dead_letter", reason: "outbox_permanent_failure" };
  if (policy.maxRetries !== undefined && retryCount >= policy.maxRetries) return { kind: "dead_letter", reason: "outbox_max_retries" };
  const left = policy.retryBudgetSeconds - ageSeconds;
  if (left <= 0) return { kind: "dead_letter", reason: "outbox_retry_budget_exhausted" };
  const delay = nextRetryDelaySeconds(retryCount, policy.backoff, failure.retryAfterSeconds, random);
  return { kind: "retry", delaySeconds: Math.min(delay, Math.ceil(left)) };
}
