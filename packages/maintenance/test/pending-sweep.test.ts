import { uniqueStreamKeys } from "@m10/devstack/testing";
// pending_sweep on candidates of every kind: lost, too young, evaluated, already queued.
import type { StreamKeys } from "@m10/shared";
import { describe, expect, it } from "vitest";
import { sweepPendingCandidates } from "../src/pending-sweep.js";
import { insertCandidate, realRun, useMaintenanceEnvironment } from "./support/environment.js";

const environment = useMaintenanceEnvironment();

function sweep(keys: StreamKeys) {
  const { db, redis, logger } = environment;
  const settings = environment.config({ M10_SWEEP_AFTER_SECONDS: "60" });
  return sweepPendingCandidates({ db, redis, keys, logger, settings }, realRun());
}

describe("pending_sweep", () => {
  it("re-enqueues a candidate committed without an enqueue once it is older than M10_SWEEP_AFTER_SECONDS, and only that one, once", async () => {
    const { db, redis } = environment;
    const keys = uniqueStreamKeys();
    const lost = await insertCandidate(db, { ageSeconds: 600 });
    const fresh = await insertCandidate(db, { ageSeconds: 1 });
    const evaluated = await insertCandidate(db, { ageSeconds: 600, evaluated: true });
    const queued = await insertCandidate(db, { ageSeconds: 600 });
    await db.query("SELECT m10_recovery.enqueue_work($1)", [queued]);

    const details = await sweep(keys);

    expect(details.candidate_ids).toContain(lost);
    expect(details.candidate_ids).not.toContain(fresh);
    expect(details.candidate_ids).not.toContain(evaluated);
    expect(details.candidate_ids).not.toContain(queued);
    const entries = await redis.xrange(keys.stream, "-", "+");
    const enqueued = entries.map(([, fields]) => Number(fields[fields.indexOf("candidate_id") + 1]));
    expect(enqueued).toContain(lost);
    expect(enqueued.filter((id) => id === lost)).toHaveLength(1);

    // The next run does not pile a second copy onto the stream.
    expect((await sweep(keys)).candidate_ids).not.toContain(lost);
    expect(await redis.xlen(keys.stream)).toBe(entries.length);
  });
});
