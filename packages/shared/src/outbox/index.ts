export * from "./event-types.js";
export { outboxIdempotencyKey } from "./idempotency-key.js";
export { publishOutbox, publishOutboxMany, type OutboxEventInput } from "./publish.js";
