// m10_recovery.replay_log (migration 022): makes dead-letter replay idempotent across processes
// and Redis restarts (uq_replay_original on original_msg_id).
import type { Queryable } from "./pool.js";

export interface RecordReplayInput {
  originalMsgId: string;
  dlMsgId: string | null;
  candidateId: number | null;
  idempotencyKey: string | null;
  newMsgId?: string | null;
  replayedBy: string;
}

export interface RecordReplayResult {
  /** true when this original message was replayed before (or a concurrent replay won the race). */
  alreadyReplayed: boolean;
  replayId: number;
}

/** record_replay: (false, new id) the first time for an original message id, (true, existing id) after. */
export async function recordReplay(db: Queryable, input: RecordReplayInput): Promise<RecordReplayResult> {
  const result = await db.query<{ already_replayed: boolean; replay_id: number }>(
    "SELECT already_replayed, replay_id FROM m10_recovery.record_replay($1, $2, $3, $4, $5, $6)",
    [input.originalMsgId, input.dlMsgId, input.candidateId, input.idempotencyKey, input.newMsgId ?? null, input.replayedBy],
  );
  const row = result.rows[0];
  if (!row) throw new Error("record_replay returned no row");
  return { alreadyReplayed: row.already_replayed, replayId: row.replay_id };
}

/** Fills in what is known only after the replay was recorded: the new message id, or a failure. */
export async function updateReplay(
  db: Queryable,
  replayId: number,
  outcome: { newMsgId?: string; status?: string; errorMessage?: string },
): Promise<void> {
  await db.query(
    `UPDATE m10_recovery.replay_log
        SET new_msg_id = COALESCE($2, new_msg_id), status = COALESCE($3, status), error_message = COALESCE($4, error_message)
      WHERE id = $1`,
    [replayId, outcome.newMsgId ?? null, outcome.status ?? null, outcome.errorMessage ?? null],
  );
}

export interface ReplayLogRow {
  id: number;
  original_msg_id: string;
  dl_msg_id: string | null;
  candidate_id: number | null;
  idempotency_key: string | null;
  new_msg_id: string | null;
  replayed_at: Date;
  replayed_by: string | null;
  status: string;
  error_message: string | null;
}

export async function findReplay(db: Queryable, originalMsgId: string): Promise<ReplayLogRow | undefined> {
  const result = await db.query<ReplayLogRow>(
    `SELECT id, original_msg_id, dl_msg_id, candidate_id, idempotency_key, new_msg_id, replayed_at, replayed_by, status, error_message
       FROM m10_recovery.replay_log WHERE original_msg_id = $1`,
    [originalMsgId],
  );
  return result.rows[0];
}

/** replay_log rows of the last `hours` by status (replayed, resolved, ...), largest first. */
export async function replaysByStatus(db: Queryable, hours: number): Promise<{ status: string; count: number }[]> {
  const result = await db.query<{ status: string; count: number }>(
    `SELECT status, count(*)::int AS count FROM m10_recovery.replay_log
      WHERE replayed_at > now() - make_interval(hours => $1) GROUP BY status ORDER BY count DESC, status`,
    [hours],
  );
  return result.rows;
}
