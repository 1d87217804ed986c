import { errorMessage } from "@m10/shared";

/**
 * A failed delivery attempt. `permanent` failures (4xx other than 408/429, an unknown event type,
 * a payload without an address) are dead-lettered at once; the others are retried with backoff.
 */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
    /** The receiver's Retry-After, in seconds, when it sent one. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = "DeliveryError";
  }
}

/** A failure that retrying cannot fix. */
export class PermanentDeliveryError extends DeliveryError {
  constructor(message: string) {
    super(message, true);
    this.name = "PermanentDeliveryError";
  }
}

/** A failure that may pass on a later attempt (transport error, timeout, 5xx, 429). */
export class RetryableDeliveryError extends DeliveryError {
  constructor(message: string, retryAfterSeconds?: number) {
    super(message, false, retryAfterSeconds);
    this.name = "RetryableDeliveryError";
  }
}

/** No route and no payload address for the event type: never "processed" silently. */
export class UnroutableEventError extends PermanentDeliveryError {
  constructor(readonly eventType: string) {
    super(`No route for event type "${eventType}"`);
    this.name = "UnroutableEventError";
  }
}

/** The routing configuration (OUTBOX_ROUTES_FILE / OUTBOX_ROUTES_JSON) is invalid. */
export class RoutingConfigError extends Error {
  constructor(readonly issues: string[]) {
    super(`invalid outbox routing configuration:\n  - ${issues.join("\n  - ")}`);
    this.name = "RoutingConfigError";
  }
}

/** Any thrown value as a DeliveryError: unknown errors are transport problems, so retryable. */
export function asDeliveryError(error: unknown): DeliveryError {
  if (error instanceof DeliveryError) return error;
  const message = errorMessage(error);
  return new RetryableDeliveryError(message);
}
