// Dead letters as the claim worker makes them, for the m10ctl dlq tests and the Phase 7 runbook test.
import { archiveMovedDeadLetter, moveToDeadLetter } from "@m10/shared";
import type { CliTestEnvironment } from "./environment.js";
import type { uniqueKeys } from "./m10ctl.js";

type Keys = ReturnType<typeof uniqueKeys>;

/** A candidate row (evaluated or not); its id. */
export async function candidate(t: CliTestEnvironment, evaluated = false): Promise<number> {
  const result = await t.db.query<{ id: number }>(
    "INSERT INTO public.recovery_candidates (failure_match_id, suggestion, confidence, evaluated_at) VALUES (gen_random_uuid(), 's', 0.2, CASE WHEN $1 THEN now() END) RETURNING id",
    [evaluated],
  );
  return result.rows[0]!.id;
}

/** What the claim worker does to a poison message: XADD, deliver, move to the dead letter (one Lua script), archive. */
export async function deadLetter(t: CliTestEnvironment, keys: Keys, candidateId: number, reason = "max_reclaim_attempts"): Promise<string> {
  const streamKeys = { stream: keys.M10_STREAM_KEY, group: keys.M10_CONSUMER_GROUP, deadLetter: keys.M10_DEAD_LETTER_STREAM };
  await t.redis.xgroup("CREATE", keys.M10_STREAM_KEY, keys.M10_CONSUMER_GROUP, "0", "MKSTREAM").catch(() => undefined);
  const id = await t.redis.xadd(keys.M10_STREAM_KEY, "*", "candidate_id", String(candidateId), "priority", "0", "metadata", "{}", "idempotency_key", "");
  await t.redis.call("XREADGROUP", "GROUP", keys.M10_CONSUMER_GROUP, "worker-1", "COUNT", "100", "STREAMS", keys.M10_STREAM_KEY, ">");
  const move = await moveToDeadLetter(t.redis, streamKeys, { messageId: id!, reason, consumer: "worker-1" });
  if (!move.moved) throw new Error("not moved");
  await archiveMovedDeadLetter(t.db, streamKeys, move, "claim-worker");
  return move.deadLetterId;
}
