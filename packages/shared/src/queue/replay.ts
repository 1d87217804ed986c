// Replaying a dead letter onto the evaluation stream (docs/architecture.md §2, promises 3 and 5).
//
//   const result = await replayDeadLetter({ redis, db, keys, replayedBy: "m10ctl" }, dlId);
//
// 1. Read the dead-letter entry (XRANGE); gone -> not_found.
// 2. Refuse when the original carries no valid candidate_id (invalid_message), the candidate no
//    longer exists (candidate_missing) or it is already evaluated (already_evaluated): replaying
//    could not change anything, and the dead letter stays for inspection.
// 3. record_replay(original_msg_id, ...) in m10_recovery.replay_log: a second replay of the same
//    original message, from any process, gets already_replayed and enqueues nothing.
// 4. XADD the original fields (orig_* without the prefix) + replayed_from_dl + replayed_at to the
//    stream (never capped, as enqueue). If Redis refuses, the candidate goes to the DB work_queue instead
//    (method "retry"), so a recorded replay is never a lost one.
// 5. Note the new message id in replay_log and XDEL the dead-letter entry.
// Even a replay that runs twice cannot evaluate a candidate twice: the worker skips evaluated
// candidates (evaluated_at), so this is belt and braces.
import type { Logger } from "pino";
import type { Queryable } from "../db/pool.js";
import { recordReplay, updateReplay } from "../db/replay-log.js";
import { uuidOrNull } from "../db/dead-letters.js";
import { candidateEvaluationState } from "../db/evaluation-state.js";
import type { RedisClient } from "../redis/client.js";
import type { StreamKeys } from "../redis/keys.js";
import { readDeadLetter, type DeadLetterEntry } from "./dead-letter.js";
import { enqueueWork } from "./enqueue.js";

export interface ReplayDeps {
  redis: RedisClient;
  db: Queryable;
  keys: StreamKeys;
  /** Written to replay_log.replayed_by (e.g. "m10ctl", a holder id). */
  replayedBy: string;
  logger?: Logger;
}

export type ReplayResult =
  | { status: "replayed"; dlId: string; candidateId: number; replayId: number; method: "redis_stream" | "db_fallback"; newMessageId: string }
  | { status: "already_replayed"; dlId: string; candidateId: number; replayId: number }
  | { status: "already_evaluated"; dlId: string; candidateId: number }
  | { status: "candidate_missing"; dlId: string; candidateId: number }
  | { status: "invalid_message"; dlId: string }
  | { status: "not_found"; dlId: string };

/** The stream fields a replay writes: the original entry's fields plus where it came from. */
export function replayFields(entry: DeadLetterEntry, now = new Date()): string[] {
  const fields: string[] = [];
  for (const [name, value] of Object.entries(entry.originalFields)) {
    if (name === "replayed_from_dl" || name === "replayed_at") continue;
    fields.push(name, value);
  }
  fields.push("replayed_from_dl", entry.id, "replayed_at", now.toISOString());
  return fields;
}

export async function replayDeadLetter(deps: ReplayDeps, dlId: string): Promise<ReplayResult> {
  const entry = await readDeadLetter(deps.redis, deps.keys, dlId);
  if (!entry) return { status: "not_found", dlId };
  const candidateId = entry.candidateId;
  if (candidateId === null) return { status: "invalid_message", dlId };

  const state = await candidateEvaluationState(deps.db, candidateId);
  if (state === "missing") return { status: "candidate_missing", dlId, candidateId };
  if (state === "evaluated") return { status: "already_evaluated", dlId, candidateId };

  const idempotencyKey = uuidOrNull(entry.originalFields.idempotency_key);
  const recorded = await recordReplay(deps.db, {
    originalMsgId: entry.originalMsgId ?? dlId,
    dlMsgId: dlId,
    candidateId,
    idempotencyKey,
    replayedBy: deps.replayedBy,
  });
  if (recorded.alreadyReplayed) return { status: "already_replayed", dlId, candidateId, replayId: recorded.replayId };

  let method: "redis_stream" | "db_fallback" = "redis_stream";
  let newMessageId: string;
  try {
    const id = await deps.redis.xadd(deps.keys.stream, "*", ...replayFields(entry));
    if (!id) throw new Error("XADD returned no id");
    newMessageId = id;
  } catch (error) {
    deps.logger?.warn({ err: error, dlId, candidateId }, "replay.stream_failed_db_fallback");
    const [workId] = await enqueueWork(deps.db, [{ candidateId, idempotencyKey }], "retry");
    method = "db_fallback";
    newMessageId = `work_queue:${workId}`;
  }
  await updateReplay(deps.db, recorded.replayId, { newMsgId: newMessageId });
  try {
    await deps.redis.xdel(deps.keys.deadLetter, dlId);
  } catch (error) {
    // replay_log already makes a repeat a no-op; the entry is left for dl_reconcile to trim.
    deps.logger?.warn({ err: error, dlId }, "replay.dead_letter_delete_failed");
  }
  return { status: "replayed", dlId, candidateId, replayId: recorded.replayId, method, newMessageId };
}
