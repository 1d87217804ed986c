// The promises checked once the pipeline has drained: every accepted failure stored once with the
// right occurrence count, every candidate evaluated once, every outbox event applied by the sink
// once, nothing pending or dead-lettered. Each check is a name, a pass/fail and what it found.
import { outboxIdempotencyKey, type StreamKeys } from "@m10/shared";
import type { Redis } from "ioredis";
import type pg from "pg";
import type { Ledger, LedgerMismatch } from "./ledger.js";
import type { ChaosSink } from "./sink.js";

export interface InvariantCheck {
  name: string;
  ok: boolean;
  details: Record<string, unknown>;
}

const SAMPLE = 5;

async function scalar(db: pg.Pool, sql: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(sql);
  return rows[0]?.n ?? 0;
}

/** failure_match_id → occurrence_count of every stored candidate, and how many rows there were. */
export async function storedOccurrences(db: pg.Pool): Promise<{ counts: Map<string, number>; rows: number }> {
  const { rows } = await db.query<{ failure_match_id: string; occurrence_count: number }>(
    "SELECT failure_match_id::text AS failure_match_id, occurrence_count FROM public.recovery_candidates",
  );
  return { counts: new Map(rows.map((row) => [row.failure_match_id, row.occurrence_count])), rows: rows.length };
}

export function candidatesMatchLedger(stored: { counts: Map<string, number>; rows: number }, mismatches: readonly LedgerMismatch[], ledger: Ledger): InvariantCheck {
  return {
    name: "every 202/200 candidate exists once with the right occurrence_count",
    ok: mismatches.length === 0 && stored.rows === stored.counts.size && ledger.contradictions.length === 0,
    details: {
      candidates: stored.rows,
      confirmed_by_ingest: ledger.confirmedCount(),
      mismatches: mismatches.length,
      mismatch_sample: mismatches.slice(0, SAMPLE),
      contradicting_answers: ledger.contradictions.length,
      contradiction_sample: ledger.contradictions.slice(0, SAMPLE),
    },
  };
}

export async function evaluatedOnce(db: pg.Pool): Promise<InvariantCheck> {
  const unevaluated = await scalar(db, "SELECT count(*)::int AS n FROM public.recovery_candidates WHERE evaluated_at IS NULL");
  const notOneCreated = await scalar(
    db,
    `SELECT count(*)::int AS n FROM public.recovery_candidates rc
       LEFT JOIN (SELECT suggestion_id, count(*) AS created FROM m10_recovery.suggestion_provenance WHERE event_type = 'created' GROUP BY 1) p
              ON p.suggestion_id = rc.id
      WHERE coalesce(p.created, 0) <> 1`,
  );
  const notOneSuggested = await scalar(
    db,
    `SELECT count(*)::int AS n FROM public.recovery_candidates rc
       LEFT JOIN (SELECT aggregate_id, count(*) AS events FROM m10_recovery.outbox WHERE event_type = 'recovery.suggested' GROUP BY 1) o
              ON o.aggregate_id = rc.id::text
      WHERE coalesce(o.events, 0) <> 1`,
  );
  return {
    name: "every candidate evaluated exactly once (one provenance `created`, one recovery.suggested)",
    ok: unevaluated === 0 && notOneCreated === 0 && notOneSuggested === 0,
    details: { unevaluated, candidates_without_exactly_one_created: notOneCreated, candidates_without_exactly_one_suggestion: notOneSuggested },
  };
}

export async function outboxAppliedOnce(db: pg.Pool, sink: ChaosSink): Promise<InvariantCheck> {
  const { rows } = await db.query<{ version: string; aggregate_type: string; aggregate_id: string; event_type: string }>(
    "SELECT version::text, aggregate_type, aggregate_id, event_type FROM m10_recovery.outbox",
  );
  const expected = new Set(rows.map((row) => outboxIdempotencyKey({ ...row, version: Number(row.version) })));
  const missing = [...expected].filter((key) => !sink.applied.has(key));
  const unknown = [...sink.applied.keys()].filter((key) => !expected.has(key));
  let duplicates = 0;
  for (const count of sink.applied.values()) duplicates += count - 1;
  return {
    name: "every outbox event reached the sink and was applied once (distinct keys = events)",
    ok: missing.length === 0 && unknown.length === 0 && expected.size === rows.length && sink.withoutKey === 0,
    details: {
      events: rows.length,
      distinct_keys_applied: sink.applied.size,
      missing: missing.length,
      missing_sample: missing.slice(0, SAMPLE),
      keys_of_no_event: unknown.length,
      deliveries_without_key: sink.withoutKey,
      duplicate_deliveries_deduplicated: duplicates,
    },
  };
}

export async function nothingLeftBehind(db: pg.Pool, redis: Redis, keys: StreamKeys): Promise<InvariantCheck> {
  const outboxPending = await scalar(db, "SELECT count(*)::int AS n FROM m10_recovery.outbox WHERE processed_at IS NULL");
  const deadLetters = await scalar(db, "SELECT count(*)::int AS n FROM m10_recovery.dead_letter_archive");
  const workQueue = await scalar(db, "SELECT count(*)::int AS n FROM m10_recovery.work_queue WHERE processed_at IS NULL");
  const pending = (await redis.xpending(keys.stream, keys.group)) as [number, ...unknown[]];
  const streamDeadLetters = await redis.xlen(keys.deadLetter);
  const details = {
    outbox_pending: outboxPending,
    dead_letter_archive: deadLetters,
    work_queue_open: workQueue,
    stream_pending: pending[0],
    stream_dead_letters: streamDeadLetters,
  };
  return { name: "nothing pending or dead-lettered", ok: Object.values(details).every((n) => n === 0), details };
}
