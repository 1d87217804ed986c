// m10_recovery.dead_letter_archive (migrations 022, 024): the durable copy of every dead letter,
// from the evaluation stream (claim-worker), the work queue, and the outbox.
import type { Queryable } from "./pool.js";

export interface ArchiveDeadLetterInput {
  /** Idempotency key of the archive: the dead-letter stream id, or e.g. "work_queue:<id>", "outbox:<id>". */
  dlMsgId: string;
  originalMsgId: string;
  candidateId: number | null;
  failureMatchId: string | null;
  /** Everything known about the dead letter (for stream entries: every dead-letter field). */
  payload: unknown;
  reason: string;
  /** Deliveries or attempts it had. */
  reclaimCount: number;
  deadLetteredAt: Date | string | null;
  archivedBy: string;
  /** Where the dead letter lives (e.g. the dead-letter stream key); optional. */
  streamName?: string | null;
  streamMsgId?: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A value for the uuid parameter, or null when it is not a UUID (never a failed archive). */
export function uuidOrNull(value: unknown): string | null {
  return typeof value === "string" && UUID.test(value) ? value : null;
}

/**
 * archive_dead_letter, idempotent by dl_msg_id (a repeat returns the same id and only bumps
 * archived_at). stream_name / stream_msg_id, which the function does not take, are filled in by a
 * second statement when still empty. Returns the archive id.
 */
export async function archiveDeadLetter(db: Queryable, input: ArchiveDeadLetterInput): Promise<number> {
  const result = await db.query<{ id: number }>("SELECT m10_recovery.archive_dead_letter($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9) AS id", [
    input.dlMsgId,
    input.originalMsgId,
    input.candidateId,
    uuidOrNull(input.failureMatchId),
    JSON.stringify(input.payload ?? {}),
    input.reason,
    input.reclaimCount,
    input.deadLetteredAt,
    input.archivedBy,
  ]);
  const id = result.rows[0]?.id;
  if (id === undefined || id === null) throw new Error("archive_dead_letter returned no id");
  if (input.streamName || input.streamMsgId) {
    await db.query(
      `UPDATE m10_recovery.dead_letter_archive
          SET stream_name = COALESCE(stream_name, $2), stream_msg_id = COALESCE(stream_msg_id, $3)
        WHERE id = $1 AND (stream_name IS NULL OR stream_msg_id IS NULL)`,
      [id, input.streamName ?? null, input.streamMsgId ?? null],
    );
  }
  return id;
}

export interface ArchivedDeadLetter {
  id: number;
  dl_msg_id: string | null;
  original_msg_id: string | null;
  candidate_id: number | null;
  failure_match_id: string | null;
  payload: Record<string, unknown>;
  reason: string | null;
  reclaim_count: number | null;
  dead_lettered_at: Date | null;
  archived_at: Date;
  archived_by: string | null;
  stream_name: string | null;
  stream_msg_id: string | null;
}

const COLUMNS = `id, dl_msg_id, original_msg_id, candidate_id, failure_match_id, payload, reason, reclaim_count,
                 dead_lettered_at, archived_at, archived_by, stream_name, stream_msg_id`;

export interface ArchiveFilter {
  limit?: number;
  offset?: number;
  reason?: string;
  candidateId?: number;
  /** Rows that failed at or after this time only. */
  since?: Date;
  /** "outbox": dead-lettered outbox events (original_msg_id outbox:<id>); "evaluation": the others. */
  kind?: "outbox" | "evaluation";
}

/** Newest first (by failed_at, the handbook's order). */
export async function listArchivedDeadLetters(db: Queryable, filter: ArchiveFilter = {}): Promise<ArchivedDeadLetter[]> {
  const result = await db.query<ArchivedDeadLetter>(
    `SELECT ${COLUMNS}
       FROM m10_recovery.dead_letter_archive
      WHERE ($1::text IS NULL OR reason = $1)
        AND ($2::int IS NULL OR candidate_id = $2)
        AND ($5::timestamptz IS NULL OR failed_at >= $5)
        AND ($6::text IS NULL OR (COALESCE(original_msg_id, '') LIKE 'outbox:%') = ($6 = 'outbox'))
      ORDER BY failed_at DESC, id DESC
      LIMIT $3 OFFSET $4`,
    [filter.reason ?? null, filter.candidateId ?? null, filter.limit ?? 50, filter.offset ?? 0, filter.since ?? null, filter.kind ?? null],
  );
  return result.rows;
}

/** One archive row by archive id (a number) or by dead-letter / original message id (a string). */
export async function getArchivedDeadLetter(db: Queryable, key: number | string): Promise<ArchivedDeadLetter | undefined> {
  const result =
    typeof key === "number"
      ? await db.query<ArchivedDeadLetter>(`SELECT ${COLUMNS} FROM m10_recovery.dead_letter_archive WHERE id = $1`, [key])
      : await db.query<ArchivedDeadLetter>(
          `SELECT ${COLUMNS} FROM m10_recovery.dead_letter_archive WHERE dl_msg_id = $1 OR original_msg_id = $1 ORDER BY id DESC LIMIT 1`,
          [key],
        );
  return result.rows[0];
}

/** Dead letters of one failure reason within a window. */
export interface ReasonCount {
  reason: string;
  count: number;
  oldest: Date | string | null;
  newest: Date | string | null;
}

/** Rows that failed within the last `hours`, grouped by reason (largest first). */
export async function archivedDeadLettersByReason(db: Queryable, hours: number): Promise<ReasonCount[]> {
  const result = await db.query<ReasonCount>(
    `SELECT COALESCE(failure_reason, '(none)') AS reason, count(*)::int AS count, min(failed_at) AS oldest, max(failed_at) AS newest
       FROM m10_recovery.dead_letter_archive
      WHERE failed_at > now() - make_interval(hours => $1)
      GROUP BY 1
      ORDER BY count DESC, reason`,
    [hours],
  );
  return result.rows;
}
