// completeWorkMany: complete_work's success branch (027) for a set of items in one UPDATE.
import { beforeEach, describe, expect, it } from "vitest";
import { completeWorkMany } from "../src/db/work-queue.js";
import { useTestEnvironment } from "./support/environment.js";

const t = useTestEnvironment();

const enqueue = async (candidateId: number) =>
  (await t.pool.query<{ id: number }>("SELECT m10_recovery.enqueue_work($1) AS id", [candidateId])).rows[0]?.id as number;

describe("completing many work_queue items", () => {
  beforeEach(async () => {
    await t.pool.query("DELETE FROM m10_recovery.work_queue");
  });

  it("completes the items the worker holds, and only those, once; the claim stays recorded as complete_work leaves it", async () => {
    const mine = [await enqueue(401), await enqueue(402)];
    await t.pool.query("SELECT * FROM m10_recovery.claim_work('w1', 10)");
    const theirs = await enqueue(403);
    await t.pool.query("SELECT * FROM m10_recovery.claim_work('w2', 10)");
    const unclaimed = await enqueue(404);

    expect((await completeWorkMany(t.pool, "w1", [...mine, theirs, unclaimed])).sort()).toEqual([...mine].sort());
    expect(await completeWorkMany(t.pool, "w1", mine)).toEqual([]);

    const { rows } = await t.pool.query<{ id: number; claimed_by: string | null; done: boolean }>(
      "SELECT id, claimed_by, processed_at IS NOT NULL AS done FROM m10_recovery.work_queue ORDER BY id",
    );
    expect(rows).toEqual([
      { id: mine[0], claimed_by: "w1", done: true },
      { id: mine[1], claimed_by: "w1", done: true },
      { id: theirs, claimed_by: "w2", done: false },
      { id: unclaimed, claimed_by: null, done: false },
    ]);
  });
});
