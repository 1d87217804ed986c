// @m10/consumer: for receivers of M10's events (webhooks, NATS): the event ledger, so an event takes
// effect once per consumer group, Standard Webhooks verification, and an example webhook receiver.
export { ensureIdempotentProcessing, type IdempotentEvent, type IdempotentOutcome } from "./idempotent-processing.js";
export { verifyStandardWebhook, type WebhookHeaders, type WebhookVerification } from "./webhook-signature.js";
export { startWebhookReceiver, type M10Envelope, type WebhookReceiver, type WebhookReceiverOptions } from "./webhook-receiver.js";
