import { uniqueStreamKeys } from "@m10/devstack/testing";
// dl_reconcile on a pending list and a dead-letter stream prepared in Redis.
import type { StreamKeys } from "@m10/shared";
import { describe, expect, it } from "vitest";
import { reconcileDeadLetters } from "../src/dl-reconcile.js";
import { insertCandidate, realRun, useMaintenanceEnvironment } from "./support/environment.js";

const environment = useMaintenanceEnvironment();

function reconcile(keys: StreamKeys, env: Record<string, string> = {}) {
  const { db, redis, logger } = environment;
  return reconcileDeadLetters({ db, redis, keys, logger, settings: environment.config(env) }, realRun());
}

describe("dl_reconcile", () => {
  it("acknowledges pending entries whose candidate is evaluated, whose entry is gone or that are already dead-lettered, and keeps the rest pending", async () => {
    const { db, redis } = environment;
    const keys = uniqueStreamKeys();
    const evaluated = await insertCandidate(db, { evaluated: true });
    const waiting = await insertCandidate(db);
    const deleted = await insertCandidate(db);
    const deadLettered = await insertCandidate(db);
    await redis.xgroup("CREATE", keys.stream, keys.group, "0", "MKSTREAM");
    const ids: Record<string, string> = {};
    for (const [name, id] of Object.entries({ evaluated, waiting, deleted, deadLettered })) {
      ids[name] = (await redis.xadd(keys.stream, "*", "candidate_id", String(id), "priority", "0", "metadata", "{}"))!;
    }
    // A worker read everything and died without acknowledging.
    await redis.call("XREADGROUP", "GROUP", keys.group, "dead-worker", "COUNT", "10", "STREAMS", keys.stream, ">");
    await redis.xdel(keys.stream, ids.deleted!);
    const dlId = await redis.xadd(
      keys.deadLetter,
      "*",
      "original_msg_id",
      ids.deadLettered!,
      "original_stream",
      keys.stream,
      "reason",
      "max_reclaim_attempts",
      "dead_lettered_at",
      new Date().toISOString(),
      "consumer",
      "dead-worker",
      "orig_candidate_id",
      String(deadLettered),
    );

    const details = await reconcile(keys);

    expect(details).toMatchObject({ pending_checked: 4, acked_evaluated: 1, acked_missing: 1, acked_dead_lettered: 1 });
    const pending = (await redis.call("XPENDING", keys.stream, keys.group, "-", "+", "100")) as [string][];
    expect(pending.map(([id]) => id)).toEqual([ids.waiting]);
    expect(await redis.xlen(keys.stream)).toBe(1);
    const archived = await db.query("SELECT candidate_id, archived_by FROM m10_recovery.dead_letter_archive WHERE dl_msg_id = $1", [dlId]);
    expect(archived.rows).toEqual([{ candidate_id: deadLettered, archived_by: "dl_reconcile" }]);
  });

  it("takes M10_DEAD_LETTER_MAX_LEN=0 as no limit: every dead letter stays in the stream", async () => {
    const { redis } = environment;
    const keys = uniqueStreamKeys();
    for (let i = 0; i < 5; i++) await redis.xadd(keys.deadLetter, "*", "original_msg_id", `1-${i}`, "reason", "max_reclaim_attempts");

    const details = await reconcile(keys, { M10_DEAD_LETTER_MAX_LEN: "0" });

    expect(details).toMatchObject({ archived: 0, trimmed: 0, dead_letter_length: 5, dead_letter_max_len: 0 });
    expect(await redis.xlen(keys.deadLetter)).toBe(5);
  });

  it("archives the oldest dead letters beyond M10_DEAD_LETTER_MAX_LEN before deleting them from the stream", async () => {
    const { db, redis } = environment;
    const keys = uniqueStreamKeys();
    const dlIds: string[] = [];
    for (let i = 0; i < 5; i++) {
      dlIds.push(
        (await redis.xadd(keys.deadLetter, "*", "original_msg_id", `1-${i}`, "reason", i % 2 ? "invalid_message" : "max_reclaim_attempts", "orig_candidate_id", String(1000 + i)))!,
      );
    }

    const details = await reconcile(keys, { M10_DEAD_LETTER_MAX_LEN: "3" });

    expect(details).toMatchObject({ archived: 2, trimmed: 2, dead_letter_length: 3 });
    const remaining = (await redis.xrange(keys.deadLetter, "-", "+")).map(([id]) => id);
    expect(remaining).toEqual(dlIds.slice(2));
    const archived = await db.query<{ dl_msg_id: string; archived_by: string; reason: string }>(
      "SELECT dl_msg_id, archived_by, reason FROM m10_recovery.dead_letter_archive WHERE dl_msg_id = ANY($1) ORDER BY dl_msg_id",
      [dlIds],
    );
    expect(archived.rows).toEqual([
      { dl_msg_id: dlIds[0], archived_by: "stream_trim", reason: "max_reclaim_attempts" },
      { dl_msg_id: dlIds[1], archived_by: "stream_trim", reason: "invalid_message" },
    ]);
  });
});
