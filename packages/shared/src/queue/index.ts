// The evaluation queue: enqueue with DB fallback, consume, reclaim, dead-letter, replay.
export { pendingEntries, reclaimStalled } from "./autoclaim.js";
export {
  acknowledge,
  type ConsumerInfo,
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
  archiveMovedDeadLetter,
  DEAD_LETTER_REASONS,
  type DeadLetterEntry,
  listDeadLetters,
  moveToDeadLetter,
  parseDeadLetterEntry,
  readDeadLetter,
} from "./dead-letter.js";
export { type EnqueueDeps, enqueueEvaluations, enqueueWork, type EvaluationRequest, streamFields } from "./enqueue.js";
export { replayDeadLetter } from "./replay.js";
