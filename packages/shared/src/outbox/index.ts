// Writing outbox events (delivery is @m10/delivery's job).
export {
  CANDIDATE_AGGREGATE,
  RECOVERY_ACTION_REQUESTED,
  RECOVERY_OUTCOME_REPORTED,
  RECOVERY_SUGGESTED,
} from "./event-types.js";
export { outboxIdempotencyKey } from "./idempotency-key.js";
export {
  countPublishedOutboxEvents,
  type OutboxEventInput,
  type OutboxPublishMetrics,
  publishOutboxMany,
  withOutboxTransaction,
} from "./publish.js";
export { decideCandidate } from "./candidate-decision.js";
