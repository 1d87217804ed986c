// Replaying a dead letter by any id: a stream entry goes back onto the evaluation stream
// (replayDeadLetter), an evaluation dead letter that only the archive still has is enqueued
// again, and a dead-lettered outbox event is re-published. Each goes through record_replay, so
// doing it twice, from any process, has the effect of doing it once.
import { type ArchivedDeadLetter, uuidOrNull } from "../db/dead-letters.js";
import { candidateEvaluationState } from "../db/evaluation-state.js";
import { findReplay, recordReplay, updateReplay } from "../db/replay-log.js";
import { withOutboxTransaction } from "../outbox/publish.js";
import { type DeadLetterEntry, allDeadLetters, parseDeadLetterEntry } from "./dead-letter.js";
import { type DeadLetterOperationsDeps, findArchivedDeadLetter, findStreamDeadLetter } from "./dead-letter-lookup.js";
import { enqueueEvaluations } from "./enqueue.js";
import { replayDeadLetter } from "./replay.js";

export type DeadLetterReplayStatus =
  | "replayed"
  | "would_replay"
  | "already_replayed"
  | "already_evaluated"
  | "candidate_missing"
  | "invalid_message"
  | "not_found";

export interface DeadLetterReplayOutcome {
  id: string;
  status: DeadLetterReplayStatus;
  /** Where the dead letter was found. */
  source: "stream" | "archive" | null;
  kind: "evaluation" | "outbox" | null;
  candidate_id: number | null;
  replay_id: number | null;
  /** The new stream entry, `work_queue:<id>` (Redis refused) or `outbox:<id>` (a re-published event). */
  new_message_id: string | null;
}

/** Statuses after which the dead letter has been (or had already been) dealt with. */
export const DEAD_LETTER_HANDLED_STATUSES: readonly DeadLetterReplayStatus[] = ["replayed", "would_replay", "already_replayed"];

function outcome(id: string, status: DeadLetterReplayStatus, extra: Partial<DeadLetterReplayOutcome> = {}): DeadLetterReplayOutcome {
  return { id, status, source: null, kind: null, candidate_id: null, replay_id: null, new_message_id: null, ...extra };
}

/** The archived payload as a dead-letter entry (stream dead letters store every stream field). */
function entryFromArchive(row: ArchivedDeadLetter): DeadLetterEntry {
  const flat = Object.entries(row.payload ?? {}).flatMap(([key, value]) => [key, typeof value === "string" ? value : JSON.stringify(value)]);
  return parseDeadLetterEntry(row.dl_msg_id ?? `archive:${row.id}`, flat);
}

function isOutbox(row: ArchivedDeadLetter): boolean {
  return (row.original_msg_id ?? "").startsWith("outbox:");
}

/** What a replay of a stream entry would do, without doing it. */
async function classifyStreamEntry(deps: DeadLetterOperationsDeps, entry: DeadLetterEntry): Promise<DeadLetterReplayOutcome> {
  const base = { source: "stream" as const, kind: "evaluation" as const, candidate_id: entry.candidateId };
  if (entry.candidateId === null) return outcome(entry.id, "invalid_message", base);
  const state = await candidateEvaluationState(deps.db, entry.candidateId);
  if (state === "missing") return outcome(entry.id, "candidate_missing", base);
  if (state === "evaluated") return outcome(entry.id, "already_evaluated", base);
  const replayed = await findReplay(deps.db, entry.originalMsgId ?? entry.id);
  if (replayed) return outcome(entry.id, "already_replayed", { ...base, replay_id: replayed.id });
  return outcome(entry.id, "would_replay", base);
}

async function replayStreamEntry(deps: DeadLetterOperationsDeps, id: string): Promise<DeadLetterReplayOutcome> {
  const result = await replayDeadLetter({ redis: await deps.redis(), db: deps.db, keys: deps.keys, replayedBy: deps.actor, logger: deps.logger }, id);
  const base = { source: "stream" as const, kind: "evaluation" as const };
  switch (result.status) {
    case "replayed":
      return outcome(id, "replayed", { ...base, candidate_id: result.candidateId, replay_id: result.replayId, new_message_id: result.newMessageId });
    case "already_replayed":
      return outcome(id, "already_replayed", { ...base, candidate_id: result.candidateId, replay_id: result.replayId });
    case "already_evaluated":
    case "candidate_missing":
      return outcome(id, result.status, { ...base, candidate_id: result.candidateId });
    case "invalid_message":
    case "not_found":
      return outcome(id, result.status, base);
  }
}

/**
 * The version of an archived outbox event: archives written before versions existed hold only the
 * id, which was the version.
 */
function archivedVersion(event: { id?: unknown; version?: unknown }): number | undefined {
  const version = event.version ?? event.id;
  return typeof version === "number" && Number.isSafeInteger(version) ? version : undefined;
}

/**
 * Re-publishes a dead-lettered outbox event as a new pending event, once. It keeps its version, so
 * receivers get the key they saw on the original attempts, and it goes before newer versions of
 * its aggregate that are still pending.
 */
async function replayOutboxDeadLetter(deps: DeadLetterOperationsDeps, id: string, row: ArchivedDeadLetter, dryRun: boolean): Promise<DeadLetterReplayOutcome> {
  const base = { source: "archive" as const, kind: "outbox" as const, candidate_id: row.candidate_id };
  const original = row.original_msg_id as string;
  const event = row.payload as { id?: unknown; version?: unknown; aggregate_type?: unknown; aggregate_id?: unknown; event_type?: unknown; payload?: unknown };
  const { aggregate_type: aggregateType, aggregate_id: aggregateId, event_type: eventType } = event;
  if (typeof aggregateType !== "string" || typeof aggregateId !== "string" || typeof eventType !== "string") {
    return outcome(id, "invalid_message", base);
  }
  const previous = await findReplay(deps.db, original);
  if (previous) return outcome(id, "already_replayed", { ...base, replay_id: previous.id, new_message_id: previous.new_msg_id });
  if (dryRun) return outcome(id, "would_replay", base);
  return withOutboxTransaction(deps.db, deps.metrics, async (client, publish) => {
    const recorded = await recordReplay(client, {
      originalMsgId: original,
      dlMsgId: row.dl_msg_id ?? `archive:${row.id}`,
      candidateId: row.candidate_id,
      idempotencyKey: null,
      replayedBy: deps.actor,
    });
    if (recorded.alreadyReplayed) return outcome(id, "already_replayed", { ...base, replay_id: recorded.replayId });
    const newId = await publish({ aggregateType, aggregateId, eventType, payload: event.payload ?? {}, version: archivedVersion(event) });
    await updateReplay(client, recorded.replayId, { newMsgId: `outbox:${newId}` });
    return outcome(id, "replayed", { ...base, replay_id: recorded.replayId, new_message_id: `outbox:${newId}` });
  });
}

/**
 * Replays an evaluation dead letter that only the archive still has (trimmed from the stream):
 * the candidate is enqueued again (stream, or the DB queue when Redis refuses).
 */
async function replayArchivedEvaluation(deps: DeadLetterOperationsDeps, id: string, row: ArchivedDeadLetter, dryRun: boolean): Promise<DeadLetterReplayOutcome> {
  const entry = entryFromArchive(row);
  const candidateId = row.candidate_id ?? entry.candidateId;
  const base = { source: "archive" as const, kind: "evaluation" as const, candidate_id: candidateId };
  if (candidateId === null) return outcome(id, "invalid_message", base);
  const state = await candidateEvaluationState(deps.db, candidateId);
  if (state === "missing") return outcome(id, "candidate_missing", base);
  if (state === "evaluated") return outcome(id, "already_evaluated", base);
  const original = row.original_msg_id ?? entry.originalMsgId ?? `archive:${row.id}`;
  const previous = await findReplay(deps.db, original);
  if (previous) return outcome(id, "already_replayed", { ...base, replay_id: previous.id, new_message_id: previous.new_msg_id });
  if (dryRun) return outcome(id, "would_replay", base);

  const idempotencyKey = uuidOrNull(entry.originalFields.idempotency_key);
  const recorded = await recordReplay(deps.db, { originalMsgId: original, dlMsgId: row.dl_msg_id ?? `archive:${row.id}`, candidateId, idempotencyKey, replayedBy: deps.actor });
  if (recorded.alreadyReplayed) return outcome(id, "already_replayed", { ...base, replay_id: recorded.replayId });
  const redis = await deps.redis().catch(() => undefined);
  const [queued] = await enqueueEvaluations(
    { redis, db: deps.db, keys: deps.keys, logger: deps.logger },
    [{ candidateId, idempotencyKey, metadata: { failure_match_id: row.failure_match_id ?? entry.failureMatchId, replayed_from_dl: row.dl_msg_id ?? `archive:${row.id}` } }],
  );
  const newMessageId = queued?.method === "redis_stream" ? queued.messageId : `work_queue:${queued?.method === "db_fallback" ? queued.workId : "?"}`;
  await updateReplay(deps.db, recorded.replayId, { newMsgId: newMessageId });
  return outcome(id, "replayed", { ...base, replay_id: recorded.replayId, new_message_id: newMessageId });
}

/** Replays one dead letter, found by stream id, archive id or original message id. */
export async function replayOneDeadLetter(deps: DeadLetterOperationsDeps, id: string, dryRun: boolean): Promise<DeadLetterReplayOutcome> {
  const entry = await findStreamDeadLetter(deps, id);
  let replayed: DeadLetterReplayOutcome;
  if (entry) {
    replayed = dryRun ? await classifyStreamEntry(deps, entry) : await replayStreamEntry(deps, id);
  } else {
    const row = await findArchivedDeadLetter(deps.db, id);
    if (!row) return outcome(id, "not_found");
    replayed = isOutbox(row) ? await replayOutboxDeadLetter(deps, id, row, dryRun) : await replayArchivedEvaluation(deps, id, row, dryRun);
  }
  if (replayed.status === "replayed") deps.metrics.recoveryDeadLetterReplayedTotal.inc();
  return replayed;
}

// A type, not an interface: it is a maintenance task's details (a Record<string, unknown>).
export type ReplayAllReport = {
  dry_run: boolean;
  total: number;
  by_status: Record<string, number>;
  /** `<id>: <message>` of each entry whose replay threw. */
  errors: string[];
  results: DeadLetterReplayOutcome[];
};

/**
 * Replays every entry of the dead-letter stream, oldest first, until `signal` aborts. An entry
 * whose replay throws is reported in `errors` and the others still run. Callers that share the
 * stream with dl_reconcile hold its lock.
 */
export async function replayAllDeadLetters(
  deps: DeadLetterOperationsDeps,
  options: { dryRun: boolean; signal: AbortSignal; onProgress?: (done: number) => void },
): Promise<ReplayAllReport> {
  const results: DeadLetterReplayOutcome[] = [];
  const errors: string[] = [];
  for await (const entry of allDeadLetters(await deps.redis(), deps.keys)) {
    if (options.signal.aborted) break;
    try {
      results.push(await replayOneDeadLetter(deps, entry.id, options.dryRun));
    } catch (error) {
      errors.push(`${entry.id}: ${error instanceof Error ? error.message : String(error)}`);
    }
    options.onProgress?.(results.length + errors.length);
  }
  const byStatus: Record<string, number> = {};
  for (const r of results) byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
  return { dry_run: options.dryRun, total: results.length + errors.length, by_status: byStatus, errors, results };
}
