// @m10/consumer: for receivers of M10's events (webhooks, NATS): the event ledger, so an event takes
// effect once per consumer group, Standard Webhooks verification, and example webhook and NATS receivers.
export { ensureIdempotentProcessing, type IdempotentEvent, type IdempotentOutcome } from "./idempotent-processing.js";
export { verifyStandardWebhook, type WebhookHeaders, type WebhookVerification } from "./webhook-signature.js";
export { InvalidEnvelopeError, parseEnvelope, type M10Envelope } from "./envelope.js";
export { startWebhookReceiver, type WebhookReceiver, type WebhookReceiverOptions } from "./webhook-receiver.js";
export { startNatsReceiver, type NatsOutcome, type NatsReceiver, type NatsReceiverOptions } from "./nats-receiver.js";
