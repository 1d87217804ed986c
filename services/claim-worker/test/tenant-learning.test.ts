// The success-rate learning is per tenant (issue 11): one tenant's reported outcomes never change
// another tenant's suggestions, confidence or auto-execute decisions.
import { uniqueStreamKeys } from "@m10/devstack/testing";
import { enqueueWork } from "@m10/shared";
import { describe, expect, it } from "vitest";
import { insertCandidates } from "./support/candidates.js";
import { useTestEnvironment } from "./support/environment.js";
import { testWorker } from "./support/harness.js";

const t = useTestEnvironment();

async function verdict(id: number) {
  const { rows } = await t.pool.query<{ action_code: string | null; confidence: number; execution_status: string | null; requested: number; history_inputs: number }>(
    `SELECT sa.action_code, rc.confidence, rc.execution_status,
            (SELECT count(*)::int FROM m10_recovery.outbox o WHERE o.aggregate_id = rc.id::text AND o.event_type = 'recovery.action_requested') AS requested,
            (SELECT count(*)::int FROM m10_recovery.suggestion_input si WHERE si.suggestion_id = rc.id AND si.input_type = 'historical_pattern') AS history_inputs
       FROM recovery_candidates rc LEFT JOIN m10_recovery.suggestion_action sa ON sa.id = rc.selected_action_id
      WHERE rc.id = $1`,
    [id],
  );
  return rows[0];
}

describe("per-tenant learning", () => {
  it("learns only from the candidate's own tenant: tenant B's outcomes do not steer tenant A's auto-execution", async () => {
    // Tenant B reports three successful notify_ops recoveries of LEARN_ME.
    const pastOfB = await insertCandidates(t.pool, [1, 2, 3].map(() => ({ errorCode: "LEARN_ME", tenant: "tenant-b" })));
    await t.pool.query(
      `UPDATE recovery_candidates SET evaluated_at = now(), execution_status = 'succeeded', executed_at = now(),
              selected_action_id = (SELECT id FROM m10_recovery.suggestion_action WHERE action_code = 'notify_ops')
        WHERE id = ANY($1)`,
      [pastOfB],
    );
    const [ofA, ofB] = (await insertCandidates(t.pool, [
      { errorCode: "LEARN_ME", tenant: "tenant-a" },
      { errorCode: "LEARN_ME", tenant: "tenant-b" },
    ])) as [number, number];
    const w = await testWorker({ databaseUrl: t.db.url, keys: uniqueStreamKeys(), settings: { useStream: false } });
    try {
      await enqueueWork(t.pool, [{ candidateId: ofA }, { candidateId: ofB }], "db_fallback");
      expect(await w.worker.drainOnce()).toMatchObject({ evaluated: 2 });
    } finally {
      await w.close();
    }
    // B learned from its own history: notify_ops at full confidence, requested automatically.
    expect(await verdict(ofB)).toMatchObject({ action_code: "notify_ops", confidence: 1, execution_status: "pending", requested: 1, history_inputs: 1 });
    // A has no history of its own: B's outcomes neither raised its confidence nor auto-executed anything.
    const a = await verdict(ofA);
    expect(a).toMatchObject({ execution_status: null, requested: 0, history_inputs: 0 });
    expect(a?.confidence).toBeLessThan(1);
  });

  it("keeps per-tenant application counts next to the global success rate", async () => {
    const [ofA, ofB] = (await insertCandidates(t.pool, [
      { errorCode: "COUNT_ME", tenant: "tenant-a" },
      { errorCode: "COUNT_ME", tenant: "tenant-b" },
    ])) as [number, number];
    const action = "(SELECT id FROM m10_recovery.suggestion_action WHERE action_code = 'skip_task')";
    await t.pool.query(`UPDATE recovery_candidates SET selected_action_id = ${action}, execution_status = 'failed' WHERE id = $1`, [ofA]);
    await t.pool.query(`UPDATE recovery_candidates SET selected_action_id = ${action}, execution_status = 'succeeded' WHERE id = $1`, [ofB]);
    const { rows } = await t.pool.query(
      `SELECT s.tenant_id, s.total_applications, s.successful_applications FROM m10_recovery.action_tenant_stats s
        WHERE s.action_id = ${action} ORDER BY s.tenant_id`,
    );
    expect(rows).toEqual([
      { tenant_id: "tenant-a", total_applications: 1, successful_applications: 0 },
      { tenant_id: "tenant-b", total_applications: 1, successful_applications: 1 },
    ]);
  });
});
