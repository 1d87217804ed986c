import { metricValue, testStack, uniqueStreamKeys } from "@m10/devstack/testing";
import { enqueueEvaluations, enqueueWork } from "@m10/shared";
import { describe, expect, it } from "vitest";
import { evaluationCounts, insertCandidates } from "./support/candidates.js";
import { useTestEnvironment } from "./support/environment.js";
import { logger, testWorker } from "./support/harness.js";

const t = useTestEnvironment();

interface CandidateRow {
  suggestion: string;
  confidence: number;
  selected_action_id: number | null;
  action_code: string | null;
  rules_evaluated: { rule_id: string; matched: boolean }[];
  explain: Record<string, unknown>;
  evaluated_at: Date | null;
  evaluation_claimed_by: string | null;
  execution_status: string | null;
}

async function candidate(id: number): Promise<CandidateRow> {
  const result = await t.pool.query<CandidateRow>(
    `SELECT rc.suggestion, rc.confidence, rc.selected_action_id, sa.action_code, rc.rules_evaluated, rc.explain, rc.evaluated_at,
            rc.evaluation_claimed_by, rc.execution_status
       FROM recovery_candidates rc LEFT JOIN m10_recovery.suggestion_action sa ON sa.id = rc.selected_action_id
      WHERE rc.id = $1`,
    [id],
  );
  return result.rows[0] as CandidateRow;
}

describe("evaluation of a queued candidate", () => {
  it("writes the verdict, inputs, provenance and a recovery.suggested event in one go", async () => {
    const keys = uniqueStreamKeys();
    const [id] = (await insertCandidates(t.pool, [{ errorCode: "HTTP_503", message: "Upstream returned 503 Service Unavailable" }])) as [number];
    const w = await testWorker({ databaseUrl: t.db.url, redisUrl: testStack().redisUrl, keys });
    try {
      await enqueueEvaluations({ redis: w.redis, db: t.pool, keys, logger }, [{ candidateId: id, metadata: { failure_match_id: "x" } }]);
      const totals = await w.worker.drainOnce();
      expect(totals).toMatchObject({ evaluated: 1, failed: 0 });
    } finally {
      await w.close();
    }

    const row = await candidate(id);
    expect(row.action_code).toBe("circuit_breaker");
    expect(row.confidence).toBeCloseTo(0.8, 5);
    expect(row.evaluated_at).not.toBeNull();
    expect(row.evaluation_claimed_by).toBeNull();
    // circuit_breaker needs approval: suggested, never requested automatically.
    expect(row.execution_status).toBeNull();
    expect(row.explain).toMatchObject({ method: "rule_engine", recommended_action: "circuit_breaker", ingest: { method: "pending_evaluation" } });
    expect(row.rules_evaluated.find((r) => r.rule_id === "server_error_fallback")?.matched).toBe(true);

    const inputs = await t.pool.query<{ input_type: string; raw_value: string; normalized_value: string }>(
      "SELECT input_type, raw_value, normalized_value FROM m10_recovery.suggestion_input WHERE suggestion_id = $1 ORDER BY id",
      [id],
    );
    expect(inputs.rows).toEqual([
      { input_type: "error_code", raw_value: "HTTP_503", normalized_value: "HTTP_503" },
      { input_type: "error_message", raw_value: "Upstream returned 503 Service Unavailable", normalized_value: "upstream returned 503 service unavailable" },
    ]);
    const provenance = await t.pool.query<{ event_type: string; action_id: number | null; confidence_after: number | null }>(
      "SELECT event_type, action_id, confidence_after FROM m10_recovery.suggestion_provenance WHERE suggestion_id = $1 ORDER BY id",
      [id],
    );
    expect(provenance.rows.map((r) => r.event_type)).toEqual(["created", "input_added", "rule_evaluated", "action_selected", "confidence_updated"]);
    expect(provenance.rows[3]?.action_id).toBe(row.selected_action_id);

    const events = await t.pool.query<{ event_type: string; payload: Record<string, unknown> }>(
      "SELECT event_type, payload FROM m10_recovery.outbox WHERE aggregate_type = 'recovery_candidate' AND aggregate_id = $1",
      [String(id)],
    );
    expect(events.rows).toHaveLength(1);
    expect(events.rows[0]).toMatchObject({
      event_type: "recovery.suggested",
      payload: { candidate_id: id, recommended_action: "circuit_breaker", confidence: 0.8, auto_execute: false },
    });
  });

  it("requests an automated, approval-free action when the confidence reaches the threshold", async () => {
    const keys = uniqueStreamKeys();
    const [timeout, budgetLow] = await insertCandidates(t.pool, [{ errorCode: "TIMEOUT" }, { errorCode: "AUTH_FAILED" }]);
    const w = await testWorker({ databaseUrl: t.db.url, keys, settings: { useStream: false } });
    try {
      await enqueueWork(t.pool, [{ candidateId: timeout as number }, { candidateId: budgetLow as number }], "db_fallback");
      expect(await w.worker.drainOnce()).toMatchObject({ evaluated: 2 });
    } finally {
      await w.close();
    }
    // TIMEOUT -> retry_exponential (automated, no approval) at 0.85 >= 0.8.
    expect(await candidate(timeout as number)).toMatchObject({ action_code: "retry_exponential", execution_status: "pending" });
    // AUTH_FAILED -> notify_ops (automated, no approval) at 0.75 < 0.8: suggested only.
    expect(await candidate(budgetLow as number)).toMatchObject({ action_code: "notify_ops", execution_status: null });
    const counts = await evaluationCounts(t.pool, [timeout as number, budgetLow as number]);
    expect(counts).toMatchObject({ evaluated: 2, suggested: 2, actionRequested: 1 });
    const requested = await t.pool.query<{ payload: Record<string, unknown> }>(
      "SELECT payload FROM m10_recovery.outbox WHERE event_type = 'recovery.action_requested' AND aggregate_id = $1",
      [String(timeout)],
    );
    expect(requested.rows[0]?.payload).toMatchObject({ candidate_id: timeout, action_code: "retry_exponential", action_type: "retry" });
    const queue = await t.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM m10_recovery.work_queue WHERE processed_at IS NULL");
    expect(queue.rows[0]?.n).toBe(0);
  });

  it("learns from M10's own past outcomes for the same error code (historical rule)", async () => {
    const keys = uniqueStreamKeys();
    // Three past FOO_BAR failures whose notify_ops recovery succeeded.
    const past = await insertCandidates(t.pool, [{ errorCode: "FOO_BAR" }, { errorCode: "FOO_BAR" }, { errorCode: "FOO_BAR" }]);
    await t.pool.query(
      `UPDATE recovery_candidates SET evaluated_at = now(), execution_status = 'succeeded', executed_at = now(),
              selected_action_id = (SELECT id FROM m10_recovery.suggestion_action WHERE action_code = 'notify_ops')
        WHERE id = ANY($1)`,
      [past],
    );
    const [id] = (await insertCandidates(t.pool, [{ errorCode: "FOO_BAR" }])) as [number];
    const w = await testWorker({ databaseUrl: t.db.url, keys, settings: { useStream: false } });
    try {
      await enqueueWork(t.pool, [{ candidateId: id }], "db_fallback");
      await w.worker.drainOnce();
    } finally {
      await w.close();
    }
    const row = await candidate(id);
    expect(row.action_code).toBe("notify_ops");
    expect(row.confidence).toBe(1);
    expect(row.explain).toMatchObject({ selected_rule_id: "historical_success", context: { historical_matches: 3 } });
    const history = await t.pool.query<{ parsed_data: Record<string, unknown> }>(
      "SELECT parsed_data FROM m10_recovery.suggestion_input WHERE suggestion_id = $1 AND input_type = 'historical_pattern'",
      [id],
    );
    expect(history.rows[0]?.parsed_data).toMatchObject({ matches: 3, successes: 3, success_rate: 1 });
  });

  it("acknowledges entries whose candidate is gone or already evaluated without writing anything", async () => {
    const keys = uniqueStreamKeys();
    const [kept] = (await insertCandidates(t.pool, [{ errorCode: "TIMEOUT" }])) as [number];
    await t.pool.query("UPDATE recovery_candidates SET evaluated_at = now() WHERE id = $1", [kept]);
    const w = await testWorker({ databaseUrl: t.db.url, redisUrl: testStack().redisUrl, keys });
    try {
      await enqueueEvaluations({ redis: w.redis, db: t.pool, keys, logger }, [{ candidateId: kept }, { candidateId: 999_999 }]);
      expect(await w.worker.drainOnce()).toMatchObject({ evaluated: 0, skipped: 2, failed: 0 });
      expect(await w.redis?.xlen(keys.stream)).toBe(0);
      const metrics = await w.metricsText();
      expect(metricValue(metrics, "recovery_worker_processed_total", { status: "skipped", source: "redis_stream" })).toBe(2);
    } finally {
      await w.close();
    }
    expect(await evaluationCounts(t.pool, [kept])).toMatchObject({ created: 0, suggested: 0 });
  });
});
