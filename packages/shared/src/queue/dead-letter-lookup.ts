// Dead letters as an operator sees them: the dead-letter stream (m10:evaluate:dead-letter) and
// m10_recovery.dead_letter_archive, which also holds outbox dead letters and stream entries
// already trimmed. Any id an operator has at hand finds one: a stream id (1700000000000-0), an
// archive id (42) or an original message id (outbox:42).
import type { Logger } from "pino";
import { type ArchivedDeadLetter, getArchivedDeadLetter, listArchivedDeadLetters } from "../db/dead-letters.js";
import { type CandidateEvaluationSummary, candidateEvaluationSummary } from "../db/evaluation-state.js";
import type { Pool } from "../db/pool.js";
import { findReplay, type ReplayLogRow } from "../db/replay-log.js";
import type { ServiceMetrics } from "../observability/metrics.js";
import type { RedisClient } from "../redis/client.js";
import type { StreamKeys } from "../redis/keys.js";
import { type DeadLetterEntry, deadLetterLength, newestDeadLetters, readDeadLetter } from "./dead-letter.js";

export interface DeadLetterStore {
  readonly db: Pool;
  /** Connected on first use: archive rows and outbox dead letters need no Redis. */
  redis(): Promise<RedisClient>;
  readonly keys: StreamKeys;
}

/** What the operations that change dead letters (replay, resolve) need besides the store. */
export interface DeadLetterOperationsDeps extends DeadLetterStore {
  /** Written to replay_log.replayed_by and dead_letter_archive.archived_by. */
  readonly actor: string;
  readonly logger: Logger;
  readonly metrics: Pick<ServiceMetrics<"m10ctl">, "recoveryDeadLetterReplayedTotal" | "m10ArchiveTotal" | "m10OutboxPublishedTotal">;
}

const STREAM_ID = /^\d+-\d+$/;

/** The dead-letter stream entry with this id; Redis is asked only when the id looks like a stream id. */
export async function findStreamDeadLetter(store: DeadLetterStore, id: string): Promise<DeadLetterEntry | null> {
  if (!STREAM_ID.test(id)) return null;
  return readDeadLetter(await store.redis(), store.keys, id);
}

/** An archive row by archive id (digits), dead-letter id or original message id. */
export async function findArchivedDeadLetter(db: Pool, id: string): Promise<ArchivedDeadLetter | undefined> {
  return getArchivedDeadLetter(db, /^\d+$/.test(id) ? Number(id) : id);
}

export type DeadLetterSource = "stream" | "archive" | "all";

export interface DeadLetterListing {
  stream?: { key: string; length: number; entries: DeadLetterEntry[] };
  archive?: { rows: ArchivedDeadLetter[] };
}

export interface DeadLetterListOptions {
  limit: number;
  source: DeadLetterSource;
  /** Archive rows of this reason only (and stream entries too, with filterStream). */
  reason?: string;
  /** Dead-lettered at or after this time only (archive; the stream with filterStream). */
  since?: Date;
  /** Archive rows of outbox events or of evaluations only. */
  kind?: "outbox" | "evaluation";
  /**
   * Apply reason and since to the stream as well: the newest `streamScanLimit` entries are read
   * and filtered, so a filtered stream listing is bounded, not exhaustive (the report counts all).
   */
  filterStream?: boolean;
  streamScanLimit?: number;
}

function streamEntryMatches(entry: DeadLetterEntry, options: DeadLetterListOptions): boolean {
  if (options.reason !== undefined && entry.reason !== options.reason) return false;
  if (options.since !== undefined) {
    const at = entry.deadLetteredAt ? Date.parse(entry.deadLetteredAt) : Number.NaN;
    if (Number.isNaN(at) || at < options.since.getTime()) return false;
  }
  return true;
}

/** The newest `limit` dead letters of the stream and of the archive, filtered as asked. */
export async function listDeadLetterSources(store: DeadLetterStore, options: DeadLetterListOptions): Promise<DeadLetterListing> {
  const listing: DeadLetterListing = {};
  if (options.source !== "archive") {
    const redis = await store.redis();
    const filtered = options.filterStream === true && (options.reason !== undefined || options.since !== undefined);
    const read = await newestDeadLetters(redis, store.keys, filtered ? Math.max(options.limit, options.streamScanLimit ?? 2_000) : options.limit);
    const entries = filtered ? read.filter((entry) => streamEntryMatches(entry, options)).slice(0, options.limit) : read;
    listing.stream = { key: store.keys.deadLetter, length: await deadLetterLength(redis, store.keys), entries };
  }
  if (options.source !== "stream") {
    listing.archive = {
      rows: await listArchivedDeadLetters(store.db, {
        limit: options.limit,
        ...(options.reason ? { reason: options.reason } : {}),
        ...(options.since ? { since: options.since } : {}),
        ...(options.kind ? { kind: options.kind } : {}),
      }),
    };
  }
  return listing;
}

export interface DeadLetterInspection {
  entry: DeadLetterEntry | null;
  archive: ArchivedDeadLetter | null;
  replay: ReplayLogRow | null;
  candidate: CandidateEvaluationSummary | null;
}

/** Everything about one dead letter: stream entry, archive row, replay and candidate; undefined when neither source has it. */
export async function inspectDeadLetter(store: DeadLetterStore, id: string): Promise<DeadLetterInspection | undefined> {
  const entry = await findStreamDeadLetter(store, id);
  const archive = (await findArchivedDeadLetter(store.db, id)) ?? null;
  if (!entry && !archive) return undefined;
  const original = entry?.originalMsgId ?? archive?.original_msg_id ?? null;
  const replay = original ? ((await findReplay(store.db, original)) ?? null) : null;
  const candidateId = entry?.candidateId ?? archive?.candidate_id ?? null;
  const candidate = candidateId !== null ? ((await candidateEvaluationSummary(store.db, candidateId)) ?? null) : null;
  return { entry, archive, replay, candidate };
}
