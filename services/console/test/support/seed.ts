// Seeded state for the console tests: 10,000 dead letters in the stream (written as the claim
// worker writes them, in pipelined batches), two made by the real move-and-archive path (the ones
// the tests replay and resolve), and a stuck outbox event.
import { archiveMovedDeadLetter, moveToDeadLetter, type RedisClient, type StreamKeys } from "@m10/shared";
import type pg from "pg";

export const BULK_DEAD_LETTERS = 10_000;
export const REPLAY_REASON = "poison_replay_me";
export const RESOLVE_REASON = "poison_resolve_me";

export interface SeededState {
  replayId: string;
  replayCandidate: number;
  resolveId: string;
  stuckOutboxId: number;
}

async function insertCandidates(db: pg.Pool, count: number): Promise<number[]> {
  const { rows } = await db.query<{ id: number }>(
    `INSERT INTO public.recovery_candidates (failure_match_id, suggestion, confidence, error_code, error_signature, source)
     SELECT gen_random_uuid(), 'restart the worker', 0.4, 'E_TIMEOUT', 'timeout after 30s', 'console-test'
       FROM generate_series(1, $1)
     RETURNING id`,
    [count],
  );
  return rows.map((row) => row.id);
}

/** The claim worker's path for a poison message: XADD, deliver, move (Lua), archive. */
async function realDeadLetter(db: pg.Pool, redis: RedisClient, keys: StreamKeys, candidateId: number, reason: string): Promise<string> {
  await redis.xgroup("CREATE", keys.stream, keys.group, "0", "MKSTREAM").catch(() => undefined);
  const id = await redis.xadd(keys.stream, "*", "candidate_id", String(candidateId), "priority", "0", "metadata", "{}", "idempotency_key", "");
  await redis.call("XREADGROUP", "GROUP", keys.group, "seed-worker", "COUNT", "100", "STREAMS", keys.stream, ">");
  const move = await moveToDeadLetter(redis, keys, { messageId: id!, reason, consumer: "seed-worker" });
  if (!move.moved) throw new Error("seed: the message was not moved to the dead letter");
  await archiveMovedDeadLetter(db, keys, move, "claim-worker");
  return move.deadLetterId;
}

export async function seed(db: pg.Pool, redis: RedisClient, keys: StreamKeys): Promise<SeededState> {
  const bulk = await insertCandidates(db, BULK_DEAD_LETTERS);
  const reasons = ["max_reclaim_attempts", "invalid_payload", "evaluation_timeout"];
  for (let start = 0; start < bulk.length; start += 1_000) {
    const pipeline = redis.pipeline();
    bulk.slice(start, start + 1_000).forEach((candidateId, i) => {
      pipeline.xadd(
        keys.deadLetter,
        "*",
        "original_msg_id", `${1_700_000_000_000 + start + i}-0`,
        "original_stream", keys.stream,
        "reason", reasons[(start + i) % reasons.length]!,
        "dead_lettered_at", new Date(Date.now() - (start + i) * 1_000).toISOString(),
        "consumer", "seed-worker",
        "orig_candidate_id", String(candidateId),
        "orig_priority", "0",
        "orig_metadata", "{}",
        "orig_idempotency_key", "",
      );
    });
    await pipeline.exec();
  }
  const [replayCandidate, resolveCandidate] = await insertCandidates(db, 2);
  const replayId = await realDeadLetter(db, redis, keys, replayCandidate!, REPLAY_REASON);
  const resolveId = await realDeadLetter(db, redis, keys, resolveCandidate!, RESOLVE_REASON);
  const outbox = await db.query<{ id: number }>(
    `INSERT INTO m10_recovery.outbox (aggregate_type, aggregate_id, event_type, payload, retry_count, last_error, next_retry_at)
     VALUES ('recovery_candidate', $1, 'recovery.suggested', '{}'::jsonb, 7, 'HTTP 503 from https://hooks.example/m10', now() + interval '1 hour')
     RETURNING id`,
    [String(replayCandidate)],
  );
  return { replayId, replayCandidate: replayCandidate!, resolveId, stuckOutboxId: outbox.rows[0]!.id };
}
