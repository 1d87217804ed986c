// Marking a dead letter handled without replaying it, for a message an operator fixed (or gave
// up on) elsewhere.
import { uuidOrNull } from "../db/dead-letters.js";
import { type RecordReplayInput, recordReplay, updateReplay } from "../db/replay-log.js";
import { archiveDeadLetterEntry } from "./dead-letter.js";
import { type DeadLetterOperationsDeps, findArchivedDeadLetter, findStreamDeadLetter } from "./dead-letter-lookup.js";

export interface ResolveOutcome {
  id: string;
  status: "resolved" | "already_handled" | "not_found";
  archive_id: number | null;
  replay_id: number | null;
  removed_from_stream: boolean;
}

/**
 * Archived (if only the stream had it), a replay_log row with status 'resolved' (so a later
 * replay is refused as already handled), and removed from the dead-letter stream. The note is
 * stored in replay_log.error_message.
 */
export async function resolveDeadLetter(deps: DeadLetterOperationsDeps, id: string, note: string): Promise<ResolveOutcome> {
  const entry = await findStreamDeadLetter(deps, id);
  const row = entry ? undefined : await findArchivedDeadLetter(deps.db, id);
  let archiveId: number;
  let replay: RecordReplayInput;
  if (entry) {
    archiveId = await archiveDeadLetterEntry(deps.db, deps.keys, entry, deps.actor);
    deps.metrics.m10ArchiveTotal.inc({ source: "manual" });
    const idempotencyKey = uuidOrNull(entry.originalFields.idempotency_key);
    replay = { originalMsgId: entry.originalMsgId ?? entry.id, dlMsgId: entry.id, candidateId: entry.candidateId, idempotencyKey, replayedBy: deps.actor };
  } else if (row) {
    archiveId = row.id;
    const fallback = `archive:${row.id}`;
    replay = { originalMsgId: row.original_msg_id ?? fallback, dlMsgId: row.dl_msg_id ?? fallback, candidateId: row.candidate_id, idempotencyKey: null, replayedBy: deps.actor };
  } else {
    return { id, status: "not_found", archive_id: null, replay_id: null, removed_from_stream: false };
  }
  const recorded = await recordReplay(deps.db, replay);
  if (!recorded.alreadyReplayed) await updateReplay(deps.db, recorded.replayId, { status: "resolved", errorMessage: note });
  const removed = entry ? (await (await deps.redis()).xdel(deps.keys.deadLetter, entry.id)) > 0 : false;
  return { id, status: recorded.alreadyReplayed ? "already_handled" : "resolved", archive_id: archiveId, replay_id: recorded.replayId, removed_from_stream: removed };
}
