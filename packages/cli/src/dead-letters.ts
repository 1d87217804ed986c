// Dead-letter operations behind `m10ctl dlq`: the dead-letter stream (m10:evaluate:dead-letter)
// and m10_recovery.dead_letter_archive (which also holds outbox dead letters and stream entries
// already trimmed). Every replay and resolve goes through record_replay, so doing it twice, from
// any process, has the effect of doing it once.
import { withTransaction, type Queryable, getArchivedDeadLetter, uuidOrNull, type ArchivedDeadLetter, findReplay, recordReplay, updateReplay, publishOutbox, parseDeadLetterEntry, readDeadLetter, type DeadLetterEntry, enqueueEvaluations, replayDeadLetter } from "@m10/shared";
import { archiveDeadLetterEntry } from "@m10/maintenance";
import type { Context } from "./context.js";

export const STREAM_ID = /^\d+-\d+$/;

export type ReplayStatus =
  | "replayed"
  | "would_replay"
  | "already_replayed"
  | "already_evaluated"
  | "candidate_missing"
  | "invalid_message"
  | "not_found";

export interface ReplayOutcome {
  id: string;
  status: ReplayStatus;
  /** Where the dead letter was found. */
  source: "stream" | "archive" | null;
  kind: "evaluation" | "outbox" | null;
  candidate_id: number | null;
  replay_id: number | null;
  /** The new stream entry, `work_queue:<id>` (Redis refused) or `outbox:<id>` (a re-published event). */
  new_message_id: string | null;
}

/** Statuses after which the dead letter has been (or had already been) dealt with. */
export const REPLAY_OK: readonly ReplayStatus[] = ["replayed", "would_replay", "already_replayed"];

function outcome(id: string, status: ReplayStatus, extra: Partial<ReplayOutcome> = {}): ReplayOutcome {
  return { id, status, source: null, kind: null, candidate_id: null, replay_id: null, new_message_id: null, ...extra };
}

async function candidateState(db: Queryable, id: number): Promise<"missing" | "evaluated" | "pending"> {
  const result = await db.query<{ evaluated: boolean }>("SELECT evaluated_at IS NOT NULL AS evaluated FROM public.recovery_candidates WHERE id = $1", [id]);
  const row = result.rows[0];
  return !row ? "missing" : row.evaluated ? "evaluated" : "pending";
}

/** The dead-letter stream entry with this id, when Redis has it. */
async function streamEntry(ctx: Context, id: string): Promise<DeadLetterEntry | null> {
  if (!STREAM_ID.test(id)) return null;
  return readDeadLetter(await ctx.redis(), ctx.keys, id);
}

/** An archive row by archive id (digits), dead-letter id or original message id (e.g. outbox:42). */
export async function archivedDeadLetter(ctx: Context, id: string): Promise<ArchivedDeadLetter | undefined> {
  return getArchivedDeadLetter(ctx.db(), /^\d+$/.test(id) ? Number(id) : id);
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
async function classifyStreamEntry(ctx: Context, entry: DeadLetterEntry): Promise<ReplayOutcome> {
  const base = { source: "stream" as const, kind: "evaluation" as const, candidate_id: entry.candidateId };
  if (entry.candidateId === null) return outcome(entry.id, "invalid_message", base);
  const state = await candidateState(ctx.db(), entry.candidateId);
  if (state === "missing") return outcome(entry.id, "candidate_missing", base);
  if (state === "evaluated") return outcome(entry.id, "already_evaluated", base);
  const replayed = await findReplay(ctx.db(), entry.originalMsgId ?? entry.id);
  if (replayed) return outcome(entry.id, "already_replayed", { ...base, replay_id: replayed.id });
  return outcome(entry.id, "would_replay", base);
}

/** Re-publishes a dead-lettered outbox event as a new pending event, once. */
async function replayOutboxDeadLetter(ctx: Context, id: string, row: ArchivedDeadLetter, dryRun: boolean): Promise<ReplayOutcome> {
  const base = { source: "archive" as const, kind: "outbox" as const, candidate_id: row.candidate_id };
  const original = row.original_msg_id as string;
  const event = row.payload as { aggregate_type?: unknown; aggregate_id?: unknown; event_type?: unknown; payload?: unknown };
  if (typeof event.aggregate_type !== "string" || typeof event.aggregate_id !== "string" || typeof event.event_type !== "string") {
    return outcome(id, "invalid_message", base);
  }
  const previous = await findReplay(ctx.db(), original);
  if (previous) return outcome(id, "already_replayed", { ...base, replay_id: previous.id, new_message_id: previous.new_msg_id });
  if (dryRun) return outcome(id, "would_replay", base);
  return withTransaction(ctx.db(), async (client) => {
    const recorded = await recordReplay(client, {
      originalMsgId: original,
      dlMsgId: row.dl_msg_id ?? `archive:${row.id}`,
      candidateId: row.candidate_id,
      idempotencyKey: null,
      replayedBy: ctx.holder,
    });
    if (recorded.alreadyReplayed) return outcome(id, "already_replayed", { ...base, replay_id: recorded.replayId });
    const newId = await publishOutbox(client, {
      aggregateType: event.aggregate_type as string,
      aggregateId: event.aggregate_id as string,
      eventType: event.event_type as string,
      payload: event.payload ?? {},
    });
    await updateReplay(client, recorded.replayId, { newMsgId: `outbox:${newId}` });
    return outcome(id, "replayed", { ...base, replay_id: recorded.replayId, new_message_id: `outbox:${newId}` });
  });
}

/**
 * Replays an evaluation dead letter that only the archive still has (trimmed from the stream):
 * the candidate is enqueued again (stream, or the DB queue when Redis refuses).
 */
async function replayArchivedEvaluation(ctx: Context, id: string, row: ArchivedDeadLetter, dryRun: boolean): Promise<ReplayOutcome> {
  const entry = entryFromArchive(row);
  const candidateId = row.candidate_id ?? entry.candidateId;
  const base = { source: "archive" as const, kind: "evaluation" as const, candidate_id: candidateId };
  if (candidateId === null) return outcome(id, "invalid_message", base);
  const state = await candidateState(ctx.db(), candidateId);
  if (state === "missing") return outcome(id, "candidate_missing", base);
  if (state === "evaluated") return outcome(id, "already_evaluated", base);
  const original = row.original_msg_id ?? entry.originalMsgId ?? `archive:${row.id}`;
  const previous = await findReplay(ctx.db(), original);
  if (previous) return outcome(id, "already_replayed", { ...base, replay_id: previous.id, new_message_id: previous.new_msg_id });
  if (dryRun) return outcome(id, "would_replay", base);

  const idempotencyKey = uuidOrNull(entry.originalFields.idempotency_key);
  const recorded = await recordReplay(ctx.db(), { originalMsgId: original, dlMsgId: row.dl_msg_id ?? `archive:${row.id}`, candidateId, idempotencyKey, replayedBy: ctx.holder });
  if (recorded.alreadyReplayed) return outcome(id, "already_replayed", { ...base, replay_id: recorded.replayId });
  const redis = await ctx.redis().catch(() => undefined);
  const [queued] = await enqueueEvaluations(
    { redis, db: ctx.db(), keys: ctx.keys, maxLen: ctx.config.M10_STREAM_MAX_LEN, logger: ctx.logger },
    [{ candidateId, idempotencyKey, metadata: { failure_match_id: row.failure_match_id ?? entry.failureMatchId, replayed_from_dl: row.dl_msg_id ?? `archive:${row.id}` } }],
  );
  const newMessageId = queued?.method === "redis_stream" ? queued.messageId : `work_queue:${queued?.method === "db_fallback" ? queued.workId : "?"}`;
  await updateReplay(ctx.db(), recorded.replayId, { newMsgId: newMessageId });
  return outcome(id, "replayed", { ...base, replay_id: recorded.replayId, new_message_id: newMessageId });
}

/** Replays one dead letter: a stream entry, an archived one, or a dead-lettered outbox event. */
export async function replayOne(ctx: Context, id: string, dryRun: boolean): Promise<ReplayOutcome> {
  const entry = await streamEntry(ctx, id);
  if (entry) {
    if (dryRun) return classifyStreamEntry(ctx, entry);
    const result = await replayDeadLetter({ redis: await ctx.redis(), db: ctx.db(), keys: ctx.keys, maxLen: ctx.config.M10_STREAM_MAX_LEN, replayedBy: ctx.holder, logger: ctx.logger }, id);
    const base = { source: "stream" as const, kind: "evaluation" as const };
    switch (result.status) {
      case "replayed":
        ctx.metrics.recoveryDeadLetterReplayedTotal.inc();
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
  const row = await archivedDeadLetter(ctx, id);
  if (!row) return outcome(id, "not_found");
  const replayed = isOutbox(row) ? await replayOutboxDeadLetter(ctx, id, row, dryRun) : await replayArchivedEvaluation(ctx, id, row, dryRun);
  if (replayed.status === "replayed") ctx.metrics.recoveryDeadLetterReplayedTotal.inc();
  return replayed;
}

/** Every entry of the dead-letter stream, oldest first, in pages. */
export async function* streamEntries(ctx: Context, pageSize = 500): AsyncGenerator<DeadLetterEntry> {
  const redis = await ctx.redis();
  let start = "-";
  for (;;) {
    const page = await redis.xrange(ctx.keys.deadLetter, start, "+", "COUNT", pageSize);
    for (const [id, flat] of page) yield parseDeadLetterEntry(id, flat);
    const last = page.at(-1);
    if (!last || page.length < pageSize) return;
    start = `(${last[0]}`;
  }
}

export interface ResolveOutcome {
  id: string;
  status: "resolved" | "already_handled" | "not_found";
  archive_id: number | null;
  replay_id: number | null;
  removed_from_stream: boolean;
}

/**
 * Marks a dead letter handled without replaying it: archived (if only the stream had it), a
 * replay_log row with status 'resolved' (so a later replay is refused as already handled), and
 * removed from the dead-letter stream.
 */
export async function resolveOne(ctx: Context, id: string, note: string): Promise<ResolveOutcome> {
  const entry = await streamEntry(ctx, id);
  const row = entry ? undefined : await archivedDeadLetter(ctx, id);
  if (!entry && !row) return { id, status: "not_found", archive_id: null, replay_id: null, removed_from_stream: false };
  const archiveId = entry ? await archiveDeadLetterEntry(ctx.db(), ctx.keys, entry, ctx.holder) : (row as ArchivedDeadLetter).id;
  if (entry) ctx.metrics.m10ArchiveTotal.inc({ source: "manual" });
  const original = entry ? (entry.originalMsgId ?? entry.id) : (row?.original_msg_id ?? `archive:${row?.id}`);
  const recorded = await recordReplay(ctx.db(), {
    originalMsgId: original,
    dlMsgId: entry?.id ?? row?.dl_msg_id ?? `archive:${row?.id}`,
    candidateId: entry?.candidateId ?? row?.candidate_id ?? null,
    idempotencyKey: uuidOrNull(entry?.originalFields.idempotency_key),
    replayedBy: ctx.holder,
  });
  if (!recorded.alreadyReplayed) await updateReplay(ctx.db(), recorded.replayId, { status: "resolved", errorMessage: note });
  let removed = false;
  if (entry) removed = (await (await ctx.redis()).xdel(ctx.keys.deadLetter, entry.id)) > 0;
  return { id, status: recorded.alreadyReplayed ? "already_handled" : "resolved", archive_id: archiveId, replay_id: recorded.replayId, removed_from_stream: removed };
}

export interface ReasonCount {
  reason: string;
  count: number;
  oldest: Date | string | null;
  newest: Date | string | null;
}

/** dead_letter_archive rows that failed within the last `hours`, grouped by reason (largest first). */
export async function archiveReport(db: Queryable, hours: number): Promise<ReasonCount[]> {
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

/** replay_log rows of the last `hours` by status (replayed, resolved, ...). */
export async function replayReport(db: Queryable, hours: number): Promise<{ status: string; count: number }[]> {
  const result = await db.query<{ status: string; count: number }>(
    `SELECT status, count(*)::int AS count FROM m10_recovery.replay_log
      WHERE replayed_at > now() - make_interval(hours => $1) GROUP BY status ORDER BY count DESC, status`,
    [hours],
  );
  return result.rows;
}
