// dl_reconcile: keeps the evaluation stream's pending list and the dead-letter stream honest.
//   1. Pending entries whose candidate is already evaluated, or whose stream entry no longer
//      exists, are acknowledged (XACK + XDEL): nobody needs to deliver them again.
//   2. Pending entries that are also in the dead-letter stream (a move interrupted before M10's
//      atomic Lua move, or a predecessor leftover) are acknowledged, and their dead letter is
//      archived.
//   3. Archive-then-trim: beyond M10_DEAD_LETTER_MAX_LEN (0 = no limit), the oldest dead letters
//      are copied into dead_letter_archive and only the ones copied are deleted from the stream.
//      Nothing else trims the dead-letter stream.
// The predecessor's reconcile_dl read XPENDING's summary as a list and did nothing (D6).
import type { Logger } from "pino";
import {
  acknowledge,
  archiveDeadLetterEntry,
  type DeadLetterEntry,
  fieldsToRecord,
  isNoGroupError,
  listDeadLetters,
  type MaintenanceSettings,
  parseCandidateId,
  type Queryable,
  type RedisClient,
  type StreamKeys,
} from "@m10/shared";
import { MaintenanceTaskError } from "./task-run.js";

export type DlReconcileDetails = {
  dry_run: boolean;
  pending_checked: number;
  /** Acknowledged (dry run: would be) because the candidate is already evaluated. */
  acked_evaluated: number;
  /** ... because the stream entry no longer exists. */
  acked_missing: number;
  /** ... because the entry is already in the dead-letter stream. */
  acked_dead_lettered: number;
  dead_letter_length: number;
  dead_letter_max_len: number;
  /** Dead letters copied into dead_letter_archive before the trim. */
  archived: number;
  /** Dead letters deleted from the stream (each one archived first). */
  trimmed: number;
  errors: string[];
};

export interface DlReconcileDeps {
  db: Queryable;
  redis: RedisClient | undefined;
  keys: StreamKeys;
  logger: Logger;
  settings: MaintenanceSettings & { M10_DEAD_LETTER_MAX_LEN: number };
}

export class RedisNotConfiguredError extends Error {
  constructor() {
    super("Redis is not configured (REDIS_URL)");
    this.name = "RedisNotConfiguredError";
  }
}

/** One page of the pending list (XPENDING extended form), oldest first, after `afterId`. */
async function pendingPage(redis: RedisClient, keys: StreamKeys, afterId: string | null, count: number): Promise<string[]> {
  try {
    const reply = await redis.call("XPENDING", keys.stream, keys.group, afterId === null ? "-" : `(${afterId}`, "+", String(count));
    return Array.isArray(reply) ? reply.map((row) => String((row as unknown[])[0])) : [];
  } catch (error) {
    // No group (or no stream) means nothing is pending; creating one here would change state.
    if (isNoGroupError(error) || (error instanceof Error && /no such key/i.test(error.message))) return [];
    throw error;
  }
}

/** original_msg_id → dead-letter id, over the whole dead-letter stream. */
async function deadLetteredOriginals(deps: DlReconcileDeps, signal: AbortSignal): Promise<Map<string, DeadLetterEntry>> {
  const byOriginal = new Map<string, DeadLetterEntry>();
  const redis = deps.redis as RedisClient;
  let start = "-";
  while (!signal.aborted) {
    const page = await listDeadLetters(redis, deps.keys, { start, count: deps.settings.M10_DL_RECONCILE_BATCH_SIZE });
    for (const entry of page) if (entry.originalMsgId) byOriginal.set(entry.originalMsgId, entry);
    const last = page.at(-1);
    if (!last || page.length < deps.settings.M10_DL_RECONCILE_BATCH_SIZE) break;
    start = `(${last.id}`;
  }
  return byOriginal;
}

async function evaluatedCandidates(db: Queryable, ids: number[]): Promise<Set<number>> {
  if (ids.length === 0) return new Set();
  const result = await db.query<{ id: number }>(
    "SELECT id FROM public.recovery_candidates WHERE id = ANY($1::int[]) AND evaluated_at IS NOT NULL",
    [ids],
  );
  return new Set(result.rows.map((row) => row.id));
}

async function reconcilePending(deps: DlReconcileDeps, details: DlReconcileDetails, signal: AbortSignal): Promise<void> {
  const redis = deps.redis as RedisClient;
  const batch = deps.settings.M10_DL_RECONCILE_BATCH_SIZE;
  let deadLettered: Map<string, DeadLetterEntry> | undefined;
  let afterId: string | null = null;
  while (!signal.aborted) {
    const ids = await pendingPage(redis, deps.keys, afterId, batch);
    if (ids.length === 0) break;
    afterId = ids.at(-1) ?? null;
    details.pending_checked += ids.length;
    deadLettered ??= await deadLetteredOriginals(deps, signal);

    const pipeline = redis.pipeline();
    for (const id of ids) pipeline.xrange(deps.keys.stream, id, id);
    const replies = (await pipeline.exec()) ?? [];
    const missing: string[] = [];
    const dead: { id: string; entry: DeadLetterEntry }[] = [];
    const byCandidate = new Map<number, string[]>();
    ids.forEach((id, index) => {
      const [error, reply] = replies[index] ?? [new Error("no reply"), null];
      if (error) {
        details.errors.push(`XRANGE ${id}: ${error.message}`);
        return;
      }
      const dl = deadLettered?.get(id);
      if (dl) return void dead.push({ id, entry: dl });
      const entry = Array.isArray(reply) ? (reply[0] as [string, string[]] | undefined) : undefined;
      if (!entry) return void missing.push(id);
      const candidateId = parseCandidateId(fieldsToRecord(entry[1]).candidate_id);
      if (candidateId !== null) byCandidate.set(candidateId, [...(byCandidate.get(candidateId) ?? []), id]);
    });
    const evaluated = await evaluatedCandidates(deps.db, [...byCandidate.keys()]);
    const done = [...evaluated].flatMap((candidateId) => byCandidate.get(candidateId) ?? []);

    details.acked_missing += missing.length;
    details.acked_evaluated += done.length;
    details.acked_dead_lettered += dead.length;
    if (!details.dry_run) {
      for (const { entry } of dead) {
        try {
          await archiveDeadLetterEntry(deps.db, deps.keys, entry, "dl_reconcile");
        } catch (error) {
          details.errors.push(`archive ${entry.id}: ${(error as Error).message}`);
        }
      }
      await acknowledge(redis, deps.keys, [...missing, ...done, ...dead.map((d) => d.id)]);
    }
    if (ids.length < batch) break;
  }
}

async function archiveThenTrim(deps: DlReconcileDeps, details: DlReconcileDetails, signal: AbortSignal): Promise<void> {
  const redis = deps.redis as RedisClient;
  details.dead_letter_length = await redis.xlen(deps.keys.deadLetter);
  if (details.dead_letter_max_len === 0) return; // no limit
  let excess = details.dead_letter_length - details.dead_letter_max_len;
  if (excess <= 0) return;
  if (details.dry_run) {
    details.archived = excess;
    details.trimmed = excess;
    return;
  }
  let start = "-";
  while (excess > 0 && !signal.aborted) {
    const page = await listDeadLetters(redis, deps.keys, { start, count: Math.min(excess, deps.settings.M10_DL_RECONCILE_BATCH_SIZE) });
    if (page.length === 0) break;
    const archived: string[] = [];
    for (const entry of page) {
      try {
        await archiveDeadLetterEntry(deps.db, deps.keys, entry, "stream_trim");
        archived.push(entry.id);
      } catch (error) {
        details.errors.push(`archive ${entry.id}: ${(error as Error).message}`);
      }
    }
    // Only what is safely in PostgreSQL leaves Redis.
    if (archived.length > 0) details.trimmed += Number(await redis.xdel(deps.keys.deadLetter, ...archived));
    details.archived += archived.length;
    excess -= page.length;
    start = `(${page.at(-1)?.id ?? ""}`;
  }
  details.dead_letter_length = await redis.xlen(deps.keys.deadLetter);
}

export async function reconcileDeadLetters(deps: DlReconcileDeps, options: { dryRun: boolean; signal: AbortSignal }): Promise<DlReconcileDetails> {
  if (!deps.redis) throw new RedisNotConfiguredError();
  const details: DlReconcileDetails = {
    dry_run: options.dryRun,
    pending_checked: 0,
    acked_evaluated: 0,
    acked_missing: 0,
    acked_dead_lettered: 0,
    dead_letter_length: 0,
    dead_letter_max_len: deps.settings.M10_DEAD_LETTER_MAX_LEN,
    archived: 0,
    trimmed: 0,
    errors: [],
  };
  await reconcilePending(deps, details, options.signal);
  await archiveThenTrim(deps, details, options.signal);
  deps.logger.info(
    {
      pendingChecked: details.pending_checked,
      ackedEvaluated: details.acked_evaluated,
      ackedMissing: details.acked_missing,
      ackedDeadLettered: details.acked_dead_lettered,
      archived: details.archived,
      trimmed: details.trimmed,
      dryRun: details.dry_run,
    },
    "dl_reconcile.finished",
  );
  if (details.errors.length > 0) {
    throw new MaintenanceTaskError(`dl_reconcile: ${details.errors.length} error(s), first: ${details.errors[0]}`, details);
  }
  return details;
}
