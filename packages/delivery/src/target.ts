import type { OutboxEvent } from "@m10/shared";

/** What a target gets for one attempt. */
export interface DeliveryAttempt {
  event: OutboxEvent;
  /** outboxIdempotencyKey(event): Idempotency-Key, webhook-id, Nats-Msg-Id, Message-ID. */
  idempotencyKey: string;
  /** Fires at the target's timeout. */
  signal: AbortSignal;
  timeoutMs: number;
}

/**
 * One destination of an event. `deliver` resolves when the receiver accepted the event and throws
 * a DeliveryError (permanent or retryable) otherwise.
 */
export interface DeliveryTarget {
  /** Throttle key and metric label: the configured name, or payload:http / payload:webhook / payload:slack / log. */
  readonly name: string;
  /** Requests per minute across all processors; 0 = unlimited. */
  readonly rpm: number;
  readonly timeoutMs: number;
  deliver(attempt: DeliveryAttempt): Promise<void>;
}
