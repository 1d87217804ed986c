// reclaim_gc on locks, work_queue claims and evaluation leases, some expired and some live.
import { describe, expect, it } from "vitest";
import { reclaimGarbage } from "../src/reclaim-gc.js";
import { insertCandidate, realRun, useMaintenanceEnvironment } from "./support/environment.js";

const environment = useMaintenanceEnvironment();

describe("reclaim_gc", () => {
  it("removes expired locks, releases stalled work_queue claims and clears expired evaluation leases, and nothing live", async () => {
    const { db, logger } = environment;
    await db.query(
      `INSERT INTO m10_recovery.distributed_locks (lock_name, holder_id, expires_at)
       VALUES ('test:expired', 'dead-holder', now() - interval '1 minute'), ('test:live', 'live-holder', now() + interval '10 minutes')`,
    );
    await db.query(
      `INSERT INTO m10_recovery.work_queue (candidate_id, claimed_at, claimed_by)
       VALUES (910001, now() - interval '10 minutes', 'dead-worker'), (910002, now(), 'live-worker')`,
    );
    const expiredLease = await insertCandidate(db, { leaseAgeSeconds: 120 });
    const liveLease = await insertCandidate(db, { leaseAgeSeconds: 1 });

    const details = await reclaimGarbage({ db, logger, settings: environment.config({ M10_EVALUATION_LEASE_MS: "30000" }) }, realRun());

    expect(details).toMatchObject({ expired_locks: 1, stalled_work: 1, expired_evaluation_leases: 1 });
    expect((await db.query("SELECT lock_name FROM m10_recovery.distributed_locks WHERE lock_name LIKE 'test:%'")).rows).toEqual([{ lock_name: "test:live" }]);
    const work = await db.query("SELECT candidate_id, claimed_by, error_message FROM m10_recovery.work_queue WHERE candidate_id > 910000 ORDER BY candidate_id");
    expect(work.rows).toEqual([
      { candidate_id: 910001, claimed_by: null, error_message: "Released: worker stalled" },
      { candidate_id: 910002, claimed_by: "live-worker", error_message: null },
    ]);
    const leases = await db.query("SELECT id, evaluation_claimed_by FROM public.recovery_candidates WHERE id = ANY($1) ORDER BY id", [[expiredLease, liveLease]]);
    expect(leases.rows).toEqual([
      { id: expiredLease, evaluation_claimed_by: null },
      { id: liveLease, evaluation_claimed_by: "worker-that-died" },
    ]);
  });

  it("archives a work_queue item whose claim expired M10_MAX_RECLAIM_ATTEMPTS times as a dead letter instead of releasing it again", async () => {
    const { db, logger } = environment;
    const poison = (
      await db.query<{ id: number }>(
        `INSERT INTO m10_recovery.work_queue (candidate_id, claimed_at, claimed_by, lease_expiries)
         VALUES (920001, now() - interval '10 minutes', 'third-dead-worker', 1) RETURNING id`,
      )
    ).rows[0]?.id;

    const details = await reclaimGarbage({ db, logger, settings: environment.config({ M10_MAX_RECLAIM_ATTEMPTS: "2" }) }, realRun());

    expect(details).toMatchObject({ stalled_work: 1 });
    const work = await db.query("SELECT processed_at IS NOT NULL AS done, lease_expiries FROM m10_recovery.work_queue WHERE id = $1", [poison]);
    expect(work.rows).toEqual([{ done: true, lease_expiries: 2 }]);
    const archived = await db.query("SELECT candidate_id, reason, reclaim_count FROM m10_recovery.dead_letter_archive WHERE dl_msg_id = $1", [`work_queue:${poison}`]);
    expect(archived.rows).toEqual([{ candidate_id: 920001, reason: "work_lease_expired", reclaim_count: 2 }]);
  });
});
