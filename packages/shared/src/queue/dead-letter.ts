// Dead letters of the evaluation stream (docs/architecture.md §2 promise 5, §4.5).
//
// moveToDeadLetter runs ONE Lua script (redis/scripts/dead-letter-move.ts): XADD to
// m10:evaluate:dead-letter with original_msg_id, original_stream, reason, dead_lettered_at,
// consumer and every original field as orig_<name>, then XACK + XDEL of the original. Then
// archiveMovedDeadLetter copies it into m10_recovery.dead_letter_archive (idempotent by the
// dead-letter id), so it survives Redis data loss. The move never trims the dead-letter stream:
// only dl_reconcile does, beyond M10_DEAD_LETTER_MAX_LEN, and only entries it has archived.
//
//   const move = await moveToDeadLetter(redis, keys, { messageId, reason: DEAD_LETTER_REASONS.maxReclaimAttempts, consumer });
//   if (move.moved) await archiveMovedDeadLetter(db, keys, move, "claim-worker");
import type { Queryable } from "../db/pool.js";
import { archiveDeadLetter } from "../db/dead-letters.js";
import type { RedisClient } from "../redis/client.js";
import type { StreamKeys } from "../redis/keys.js";
import { defineLuaScript } from "../redis/lua-script.js";
import { DEAD_LETTER_MOVE_LUA } from "../redis/scripts/dead-letter-move.js";
import { fieldsToRecord, parseCandidateId } from "./consume.js";

export const DEAD_LETTER_MOVE = defineLuaScript("dead-letter-move", DEAD_LETTER_MOVE_LUA);

/** Reasons written in the dead-letter `reason` field and the recovery_dead_letter_added_total label. */
export const DEAD_LETTER_REASONS = {
  /** Delivered M10_MAX_RECLAIM_ATTEMPTS times without being acknowledged. */
  maxReclaimAttempts: "max_reclaim_attempts",
  /** Can never be evaluated (no valid candidate_id). */
  invalidMessage: "invalid_message",
  /** A work_queue row (DB fallback queue) that failed M10_MAX_RECLAIM_ATTEMPTS times; archived only. */
  maxWorkAttempts: "max_work_attempts",
} as const;

/** The fields the move writes besides the orig_* copies. */
export const DEAD_LETTER_FIELDS = ["original_msg_id", "original_stream", "reason", "dead_lettered_at", "consumer"] as const;
export const ORIGINAL_FIELD_PREFIX = "orig_";

export interface MoveToDeadLetterOptions {
  messageId: string;
  reason: string;
  /** Who moves it (the consumer name). */
  consumer: string;
  /**
   * Only move if the entry is still pending and idle at least this long (ms). A reclaim scan
   * passes its idle threshold so it never moves an entry another consumer just claimed;
   * 0 = move whenever it is pending (the holder dead-letters its own invalid entry).
   */
  minIdleMs?: number;
  now?: Date;
}

export type DeadLetterMove =
  | {
      moved: true;
      deadLetterId: string;
      originalMsgId: string;
      originalStream: string;
      reason: string;
      consumer: string;
      deadLetteredAt: string;
      /** Delivery count from the pending list at the moment of the move. */
      deliveries: number;
      originalFields: Record<string, string>;
    }
  | { moved: false; reason: "not_pending" };

export async function moveToDeadLetter(redis: RedisClient, keys: StreamKeys, options: MoveToDeadLetterOptions): Promise<DeadLetterMove> {
  const deadLetteredAt = (options.now ?? new Date()).toISOString();
  const reply = (await DEAD_LETTER_MOVE.run(
    redis,
    [keys.stream, keys.deadLetter],
    [keys.group, options.messageId, options.reason, deadLetteredAt, options.consumer, options.minIdleMs ?? 0],
  )) as unknown[];
  if (!Array.isArray(reply) || Number(reply[0]) !== 1) return { moved: false, reason: "not_pending" };
  return {
    moved: true,
    deadLetterId: String(reply[1]),
    originalMsgId: options.messageId,
    originalStream: keys.stream,
    reason: options.reason,
    consumer: options.consumer,
    deadLetteredAt,
    deliveries: Number(reply[2]),
    originalFields: fieldsToRecord(reply.slice(3).map(String)),
  };
}

/** The dead-letter stream entry as written by the move (what XRANGE shows). */
export function deadLetterStreamFields(move: Extract<DeadLetterMove, { moved: true }>): Record<string, string> {
  const fields: Record<string, string> = {
    original_msg_id: move.originalMsgId,
    original_stream: move.originalStream,
    reason: move.reason,
    dead_lettered_at: move.deadLetteredAt,
    consumer: move.consumer,
  };
  for (const [name, value] of Object.entries(move.originalFields)) fields[`${ORIGINAL_FIELD_PREFIX}${name}`] = value;
  return fields;
}

function failureMatchIdOf(metadataJson: string | undefined): string | null {
  if (!metadataJson) return null;
  try {
    const metadata: unknown = JSON.parse(metadataJson);
    const value = metadata && typeof metadata === "object" ? (metadata as Record<string, unknown>).failure_match_id : undefined;
    return typeof value === "string" ? value : null;
  } catch {
    return null;
  }
}

/** archive_dead_letter for a moved entry: payload = every dead-letter field, reclaim_count = deliveries. */
export async function archiveMovedDeadLetter(
  db: Queryable,
  keys: StreamKeys,
  move: Extract<DeadLetterMove, { moved: true }>,
  archivedBy: string,
): Promise<number> {
  return archiveDeadLetter(db, {
    dlMsgId: move.deadLetterId,
    originalMsgId: move.originalMsgId,
    candidateId: parseCandidateId(move.originalFields.candidate_id),
    failureMatchId: failureMatchIdOf(move.originalFields.metadata),
    payload: deadLetterStreamFields(move),
    reason: move.reason,
    reclaimCount: move.deliveries,
    deadLetteredAt: move.deadLetteredAt,
    archivedBy,
    streamName: keys.deadLetter,
    streamMsgId: move.deadLetterId,
  });
}

/** archive_dead_letter for an entry read from the dead-letter stream (idempotent by its id). */
export async function archiveDeadLetterEntry(db: Queryable, keys: StreamKeys, entry: DeadLetterEntry, archivedBy: string): Promise<number> {
  return archiveDeadLetter(db, {
    dlMsgId: entry.id,
    originalMsgId: entry.originalMsgId ?? entry.id,
    candidateId: entry.candidateId,
    failureMatchId: entry.failureMatchId,
    payload: entry.fields,
    reason: entry.reason ?? "unknown",
    reclaimCount: 0,
    deadLetteredAt: entry.deadLetteredAt && !Number.isNaN(Date.parse(entry.deadLetteredAt)) ? entry.deadLetteredAt : null,
    archivedBy,
    streamName: keys.deadLetter,
    streamMsgId: entry.id,
  });
}

/** One entry of the dead-letter stream, parsed. */
export interface DeadLetterEntry {
  id: string;
  originalMsgId: string | null;
  originalStream: string | null;
  reason: string | null;
  deadLetteredAt: string | null;
  consumer: string | null;
  /** orig_* fields with the prefix removed: the original stream entry. */
  originalFields: Record<string, string>;
  candidateId: number | null;
  failureMatchId: string | null;
  fields: Record<string, string>;
}

export function parseDeadLetterEntry(id: string, flat: readonly string[]): DeadLetterEntry {
  const fields = fieldsToRecord(flat);
  const originalFields: Record<string, string> = {};
  for (const [name, value] of Object.entries(fields)) {
    if (name.startsWith(ORIGINAL_FIELD_PREFIX)) originalFields[name.slice(ORIGINAL_FIELD_PREFIX.length)] = value;
  }
  return {
    id,
    originalMsgId: fields.original_msg_id ?? null,
    originalStream: fields.original_stream ?? null,
    reason: fields.reason ?? null,
    deadLetteredAt: fields.dead_lettered_at ?? null,
    consumer: fields.consumer ?? null,
    originalFields,
    candidateId: parseCandidateId(originalFields.candidate_id),
    failureMatchId: failureMatchIdOf(originalFields.metadata),
    fields,
  };
}

function parseDeadLetterEntries(reply: unknown): DeadLetterEntry[] {
  if (!Array.isArray(reply)) return [];
  return reply
    .filter((entry): entry is [string, string[]] => Array.isArray(entry) && typeof entry[0] === "string" && Array.isArray(entry[1]))
    .map(([id, flat]) => parseDeadLetterEntry(id, flat));
}

/** XRANGE <dead-letter> id id. */
export async function readDeadLetter(redis: RedisClient, keys: StreamKeys, id: string): Promise<DeadLetterEntry | null> {
  const entries = parseDeadLetterEntries(await redis.xrange(keys.deadLetter, id, id));
  return entries[0] ?? null;
}

/** Oldest first, `count` entries from `start` (inclusive; "-" = the beginning). Use "(" + last id to page. */
export async function listDeadLetters(
  redis: RedisClient,
  keys: StreamKeys,
  options: { count?: number; start?: string; end?: string } = {},
): Promise<DeadLetterEntry[]> {
  return parseDeadLetterEntries(await redis.xrange(keys.deadLetter, options.start ?? "-", options.end ?? "+", "COUNT", options.count ?? 100));
}

/** Newest first, at most `count` entries (XREVRANGE). */
export async function newestDeadLetters(redis: RedisClient, keys: StreamKeys, count: number): Promise<DeadLetterEntry[]> {
  return parseDeadLetterEntries(await redis.xrevrange(keys.deadLetter, "+", "-", "COUNT", count));
}

export async function deadLetterLength(redis: RedisClient, keys: StreamKeys): Promise<number> {
  return redis.xlen(keys.deadLetter);
}

/** Every entry of the dead-letter stream, oldest first, read in pages of `pageSize`. */
export async function* allDeadLetters(redis: RedisClient, keys: StreamKeys, pageSize = 500): AsyncGenerator<DeadLetterEntry> {
  let start = "-";
  for (;;) {
    const page = await listDeadLetters(redis, keys, { start, count: pageSize });
    yield* page;
    const last = page.at(-1);
    if (!last || page.length < pageSize) return;
    start = `(${last.id}`;
  }
}
