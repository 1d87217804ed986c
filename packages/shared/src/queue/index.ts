// The evaluation queue: enqueue with DB fallback, consume, reclaim, dead-letter, replay; and the
// operator's dead-letter operations (list, inspect, replay by any id, resolve, report).
export { pendingEntries, reclaimStalled } from "./autoclaim.js";
export {
  acknowledge,
  type ConsumerInfo,
  consumerLagSeconds,
  createBlockingClient,
  deleteConsumerIfIdle,
  ensureConsumerGroup,
  fieldsToRecord,
  isNoGroupError,
  listConsumers,
  parseCandidateId,
  readGroup,
  registerConsumer,
  type StreamMessage,
  streamStatus,
  type StreamStatus,
} from "./consume.js";
export {
  archiveDeadLetterEntry,
  archiveMovedDeadLetter,
  DEAD_LETTER_REASONS,
  type DeadLetterEntry,
  deadLetterLength,
  listDeadLetters,
  moveToDeadLetter,
} from "./dead-letter.js";
export {
  type DeadLetterInspection,
  type DeadLetterListing,
  type DeadLetterListOptions,
  type DeadLetterOperationsDeps,
  type DeadLetterSource,
  type DeadLetterStore,
  inspectDeadLetter,
  listDeadLetterSources,
} from "./dead-letter-lookup.js";
export {
  DEAD_LETTER_HANDLED_STATUSES,
  type DeadLetterReplayOutcome,
  type DeadLetterReplayStatus,
  replayAllDeadLetters,
  type ReplayAllReport,
  replayOneDeadLetter,
} from "./dead-letter-replay.js";
export { type DeadLetterReport, deadLetterReport } from "./dead-letter-report.js";
export { resolveDeadLetter, type ResolveOutcome } from "./dead-letter-resolve.js";
export { type EnqueueDeps, enqueueEvaluations, enqueueWork, type EvaluationRequest, streamFields } from "./enqueue.js";
export { replayDeadLetter } from "./replay.js";
