// A candidate whose enqueue was lost, through both processes: the orchestrator's pending_sweep
// re-enqueues it and the real claim worker evaluates it.
import { describe, expect, it } from "vitest";
import { baseEnv, runClaimWorkerOnce, runOrchestrator, task, uniqueKeys, useProcessEnvironment } from "./support/orchestrator.js";

const environment = useProcessEnvironment();

describe("pending_sweep with the claim worker", () => {
  it("gets a candidate committed without an enqueue evaluated: the sweep re-enqueues it on the stream and a claim worker evaluates it", async () => {
    const { db } = environment;
    const inserted = await db.query<{ id: number }>(
      `INSERT INTO public.recovery_candidates (failure_match_id, suggestion, confidence, error_code, created_at, decision)
       VALUES (gen_random_uuid(), 'pending evaluation', 0.2, 'TIMEOUT', now() - interval '10 minutes', 'pending') RETURNING id`,
    );
    const lost = inserted.rows[0]!.id;
    // M10_SWEEP_RESWEEP_SECONDS=0 keeps the sweep away from its memo, one key for every test file's database.
    const env = baseEnv(environment.database.url, { ...uniqueKeys(), M10_SWEEP_AFTER_SECONDS: "60", M10_SWEEP_RESWEEP_SECONDS: "0" });

    const run = await runOrchestrator(["--tasks", "pending_sweep"], env);

    expect(run.code, run.stderr).toBe(0);
    expect(task(run.report, "pending_sweep").details).toMatchObject({ candidate_ids: [lost], via_stream: 1 });
    const worker = await runClaimWorkerOnce({ ...env, M10_HEALTH_PORT: "0" });
    expect(worker.code, worker.stderr).toBe(0);
    const state = await db.query("SELECT evaluated_at IS NOT NULL AS evaluated FROM public.recovery_candidates WHERE id = $1", [lost]);
    expect(state.rows[0]).toEqual({ evaluated: true });
  });
});
