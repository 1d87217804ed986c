// Concurrency against real PostgreSQL: many sessions racing the contract functions.
import type pg from "pg";
import { describe, expect, it } from "vitest";
import { useTestEnvironment } from "../support/environment.js";

const t = useTestEnvironment({ poolMax: 110 });

/** Opens `n` sessions first, then releases them at once, so the calls really race. */
async function race<T>(n: number, work: (client: pg.PoolClient, i: number) => Promise<T>): Promise<T[]> {
  const clients = await Promise.all(Array.from({ length: n }, () => t.pool.connect()));
  try {
    return await Promise.all(clients.map((client, i) => work(client, i)));
  } finally {
    for (const client of clients) client.release();
  }
}

describe("concurrency", () => {
  it("10 sessions racing acquire_lock on one name: exactly one gets TRUE", async () => {
    const results = await race(10, async (client, i) => {
      const r = await client.query<{ ok: boolean }>("SELECT m10_recovery.acquire_lock('race', $1, 60) AS ok", [`holder-${i}`]);
      return r.rows[0]?.ok;
    });
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it("100 concurrent upserts of one failure_match_id: one row, occurrence_count = 100, no error", async () => {
    const fmid = "11111111-1111-4111-8111-111111111111";
    // The ingest path's statement, with its retry on the partial unique index (schema decision 5).
    const upsert = `INSERT INTO recovery_candidates (failure_match_id, suggestion, confidence, error_signature, error_code)
                    VALUES ($1, 'retry', 0.2, 'abcd', 'TIMEOUT')
                    ON CONFLICT (failure_match_id) DO UPDATE
                      SET occurrence_count = recovery_candidates.occurrence_count + 1, last_occurrence_at = now()`;
    await race(100, async (client) => {
      for (let attempt = 0; ; attempt++) {
        try {
          await client.query(upsert, [fmid]);
          return;
        } catch (error) {
          // 23505 from uq_rc_fmid_sig, 40P01 when two speculative inserts meet on the two unique indexes
          if (!["23505", "40P01"].includes((error as { code?: string }).code ?? "") || attempt > 5) throw error;
        }
      }
    });
    const rows = await t.pool.query("SELECT occurrence_count FROM recovery_candidates WHERE failure_match_id = $1", [fmid]);
    expect(rows.rows).toEqual([{ occurrence_count: 100 }]);
  });

  it("4 concurrent claim_work callers over 1,000 rows claim every row exactly once", async () => {
    await t.pool.query("SELECT m10_recovery.enqueue_work(g) FROM generate_series(1, 1000) g");
    const claimed = await race(4, async (client, i) => {
      const ids: number[] = [];
      for (;;) {
        const r = await client.query<{ work_id: number }>("SELECT work_id FROM m10_recovery.claim_work($1, 25)", [`w${i}`]);
        if (r.rowCount === 0) return ids;
        ids.push(...r.rows.map((row) => row.work_id));
      }
    });
    const all = claimed.flat();
    expect(all).toHaveLength(1000);
    expect(new Set(all).size).toBe(1000);
    expect(claimed.filter((ids) => ids.length > 0).length).toBeGreaterThan(1);
  });

  it("4 concurrent claim_outbox_events callers over 1,000 events claim every event exactly once", async () => {
    await t.pool.query("SELECT m10_recovery.publish_outbox('race', g::text, 'e', '{}') FROM generate_series(1, 1000) g");
    const claimed = await race(4, async (client, i) => {
      const ids: number[] = [];
      for (;;) {
        const r = await client.query<{ id: number }>("SELECT id FROM m10_recovery.claim_outbox_events($1, 25)", [`p${i}`]);
        if (r.rowCount === 0) return ids;
        ids.push(...r.rows.map((row) => row.id));
      }
    });
    const all = claimed.flat();
    expect(all).toHaveLength(1000);
    expect(new Set(all).size).toBe(1000);
  });
});
