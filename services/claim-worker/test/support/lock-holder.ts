// Makes a worker's evaluation transaction wait, with no test hook in the worker: an open
// transaction of the test's own has published outbox events for the worker's candidates, so it
// holds their aggregates' publish lock (publish_outbox's advisory lock, held until commit) and the
// worker's publish_outbox waits for the test's transaction. The worker has leased its candidates
// and read its messages by then.
import type { Queryable } from "@m10/shared";
import { testPool } from "./harness.js";

export interface OutboxLock {
  /** Rolls the test's transaction back: the waiting worker can go on (or, if it died, its backend ends). */
  release(): Promise<void>;
}

export async function holdOutboxKeys(databaseUrl: string, candidateIds: readonly number[]): Promise<OutboxLock> {
  const pool = testPool(databaseUrl);
  const client = await pool.connect();
  await client.query("BEGIN");
  await client.query(
    `SELECT m10_recovery.publish_outbox('recovery_candidate', id::text, 'recovery.suggested', '{}'::jsonb) FROM unnest($1::int[]) AS id`,
    [candidateIds],
  );
  return {
    release: async () => {
      await client.query("ROLLBACK");
      client.release();
      await pool.end();
    },
  };
}

/** Worker backends (application_name m10-claim-worker) waiting for a lock right now. */
export async function workerBackendsWaitingOnLocks(db: Queryable): Promise<number> {
  const result = await db.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'm10-claim-worker' AND wait_event_type = 'Lock'",
  );
  return result.rows[0]?.n ?? 0;
}

export async function leaseAndClaimCounts(db: Queryable): Promise<{ leased: number; workClaimed: number; executing: number }> {
  const result = await db.query<{ leased: number; workClaimed: number; executing: number }>(
    `SELECT (SELECT count(*)::int FROM recovery_candidates WHERE evaluation_claimed_by IS NOT NULL) AS leased,
            (SELECT count(*)::int FROM m10_recovery.work_queue WHERE processed_at IS NULL AND claimed_at IS NOT NULL) AS "workClaimed",
            (SELECT count(*)::int FROM recovery_candidates WHERE execution_status = 'executing') AS executing`,
  );
  return result.rows[0] as { leased: number; workClaimed: number; executing: number };
}
