import { describe, expect, it } from "vitest";
import { bearer, FILE_TOKENS, ingestBody, useTestApp } from "./support/test-app.js";

const t = useTestApp();
// Every token of one tenant (acme): candidates are only visible to their own tenant.
const admin = bearer(FILE_TOKENS.acmeAdmin.token);
const machine = bearer(FILE_TOKENS.acmeMachine.token);
const operator = bearer(FILE_TOKENS.operator.token);

async function newCandidate(overrides: Record<string, unknown> = {}): Promise<number> {
  const response = await t.app.inject({ method: "POST", url: "/api/v1/recovery/ingest", headers: machine, payload: ingestBody(overrides) });
  expect(response.statusCode).toBe(202);
  return response.json().candidate_id as number;
}

describe("GET /api/v1/recovery/candidates", () => {
  it("lists pending candidates newest first, a cursor page at a time, with filters", async () => {
    const source = `list-${crypto.randomUUID().slice(0, 8)}`;
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) ids.push(await newCandidate({ source, failure_payload: { error_type: i % 2 ? "HTTP_5XX" : "TIMEOUT" } }));
    const page = await t.app.inject({ method: "GET", url: `/api/v1/recovery/candidates?source=${source}&limit=2`, headers: operator });
    expect(page.statusCode).toBe(200);
    const json = page.json();
    expect(json.limit).toBe(2);
    expect(json.candidates.map((c: { id: number }) => c.id)).toEqual([ids[4], ids[3]]);
    expect(json.candidates[0]).toMatchObject({ decision: "pending", confidence: 0.2, source, occurrence_count: 1 });

    const second = await t.app.inject({ method: "GET", url: `/api/v1/recovery/candidates?source=${source}&limit=2&cursor=${json.next_cursor}`, headers: operator });
    expect(second.json().candidates.map((c: { id: number }) => c.id)).toEqual([ids[2], ids[1]]);

    const timeouts = await t.app.inject({ method: "GET", url: `/api/v1/recovery/candidates?source=${source}&error_code=TIMEOUT`, headers: operator });
    expect(timeouts.json().candidates).toHaveLength(3);

    const future = await t.app.inject({ method: "GET", url: `/api/v1/recovery/candidates?source=${source}&since=2999-01-01T00:00:00Z`, headers: operator });
    expect(future.json()).toMatchObject({ candidates: [], next_cursor: null });

    const approved = await t.app.inject({ method: "GET", url: `/api/v1/recovery/candidates?source=${source}&status=approved`, headers: operator });
    expect(approved.json().candidates).toHaveLength(0);
    const all = await t.app.inject({ method: "GET", url: `/api/v1/recovery/candidates?source=${source}&status=all`, headers: operator });
    expect(all.json().candidates).toHaveLength(5);
  });

  it("answers 400 for an unknown status, a bad limit or a bad date", async () => {
    for (const query of ["status=revoked", "limit=0", "limit=501", "since=yesterday", "offset=-1"]) {
      const response = await t.app.inject({ method: "GET", url: `/api/v1/recovery/candidates?${query}`, headers: operator });
      expect(response.statusCode, query).toBe(400);
      expect(response.json().location).toBe("query");
    }
  });
});

describe("GET /api/v1/recovery/candidates/{id}", () => {
  it("returns the candidate with its selected action, inputs and provenance", async () => {
    const id = await newCandidate();
    await t.pool.query("UPDATE recovery_candidates SET selected_action_id = 1 WHERE id = $1", [id]);
    await t.pool.query("INSERT INTO m10_recovery.suggestion_input (suggestion_id, input_type, raw_value) VALUES ($1, 'error_code', 'TIMEOUT')", [id]);
    await t.pool.query("INSERT INTO m10_recovery.suggestion_provenance (suggestion_id, event_type) VALUES ($1, 'created')", [id]);
    const response = await t.app.inject({ method: "GET", url: `/api/v1/recovery/candidates/${id}`, headers: operator });
    expect(response.statusCode).toBe(200);
    const json = response.json();
    expect(json).toMatchObject({ id, selected_action: { id: 1, action_code: expect.any(String) }, rules_evaluated: [], execution_status: null });
    expect(json.inputs).toEqual([expect.objectContaining({ input_type: "error_code", raw_value: "TIMEOUT" })]);
    expect(json.provenance).toEqual([expect.objectContaining({ event_type: "created" })]);

    const without = await t.app.inject({ method: "GET", url: `/api/v1/recovery/candidates/${id}?include_inputs=false&include_provenance=false`, headers: operator });
    expect(without.json()).toMatchObject({ inputs: [], provenance: [] });
  });

  it("answers 404 for an unknown id and 400 for a non-numeric one", async () => {
    const missing = await t.app.inject({ method: "GET", url: "/api/v1/recovery/candidates/999999", headers: operator });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ code: "candidate_not_found" });
    const bad = await t.app.inject({ method: "GET", url: "/api/v1/recovery/candidates/abc", headers: operator });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ field: "id", location: "path" });
    const huge = await t.app.inject({ method: "GET", url: "/api/v1/recovery/candidates/99999999999", headers: operator });
    expect(huge.statusCode).toBe(400);
  });
});

describe("PATCH /api/v1/recovery/candidates/{id}", () => {
  it("records an execution outcome with a provenance row and an outbox event in one transaction", async () => {
    const id = await newCandidate();
    const published = () => t.metric("m10_outbox_published_total", { event_type: "recovery.outcome_reported" });
    const publishedBefore = await published();
    const response = await t.app.inject({
      method: "PATCH",
      url: `/api/v1/recovery/candidates/${id}`,
      headers: machine,
      payload: { execution_status: "succeeded", selected_action_id: 1, execution_result: { retries: 2 }, note: "retried" },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      status: "updated",
      candidate_id: id,
      updates_applied: ["execution_status", "selected_action_id", "execution_result"],
      execution_status: "succeeded",
      executed_at: expect.any(String),
    });
    const { rows } = await t.pool.query("SELECT execution_status, executed_at, execution_result, selected_action_id FROM recovery_candidates WHERE id = $1", [id]);
    expect(rows[0]).toMatchObject({ execution_status: "succeeded", execution_result: { retries: 2 }, selected_action_id: 1 });
    expect(rows[0].executed_at).toBeInstanceOf(Date);
    const provenance = await t.pool.query("SELECT event_type, actor, actor_type, action_id, details FROM m10_recovery.suggestion_provenance WHERE suggestion_id = $1", [id]);
    expect(provenance.rows).toEqual([{ event_type: "success", actor: "acme-agent", actor_type: "agent", action_id: 1, details: { execution_status: "succeeded", note: "retried" } }]);
    const outbox = await t.pool.query("SELECT event_type, payload FROM m10_recovery.outbox WHERE aggregate_type = 'recovery_candidate' AND aggregate_id = $1", [String(id)]);
    expect(outbox.rows).toEqual([{ event_type: "recovery.outcome_reported", payload: expect.objectContaining({ candidate_id: id, execution_status: "succeeded" }) }]);
    expect(await published()).toBe(publishedBefore + 1);
  });

  it("maps executing to an executed provenance event and failed to failure", async () => {
    const id = await newCandidate();
    await t.app.inject({ method: "PATCH", url: `/api/v1/recovery/candidates/${id}`, headers: machine, payload: { execution_status: "executing" } });
    await t.app.inject({ method: "PATCH", url: `/api/v1/recovery/candidates/${id}`, headers: machine, payload: { execution_status: "failed" } });
    const { rows } = await t.pool.query("SELECT event_type FROM m10_recovery.suggestion_provenance WHERE suggestion_id = $1 ORDER BY id", [id]);
    expect(rows.map((r) => r.event_type)).toEqual(["executed", "failure"]);
  });

  it("answers 400 with no updates, an invalid status or an unknown action, and 404 for an unknown candidate", async () => {
    const id = await newCandidate();
    const published = () => t.metric("m10_outbox_published_total", { event_type: "recovery.outcome_reported" });
    const publishedBefore = await published();
    const none = await t.app.inject({ method: "PATCH", url: `/api/v1/recovery/candidates/${id}`, headers: machine, payload: { note: "only a note" } });
    expect(none.statusCode).toBe(400);
    expect(none.json().code).toBe("no_updates");
    const invalid = await t.app.inject({ method: "PATCH", url: `/api/v1/recovery/candidates/${id}`, headers: machine, payload: { execution_status: "exploded" } });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json().field).toBe("execution_status");
    const unknownAction = await t.app.inject({ method: "PATCH", url: `/api/v1/recovery/candidates/${id}`, headers: machine, payload: { selected_action_id: 424242 } });
    expect(unknownAction.statusCode).toBe(400);
    expect(unknownAction.json()).toMatchObject({ code: "unknown_action", field: "selected_action_id" });
    const missing = await t.app.inject({ method: "PATCH", url: "/api/v1/recovery/candidates/999999", headers: machine, payload: { execution_status: "failed" } });
    expect(missing.statusCode).toBe(404);
    // Rolled back or never written: not published, not counted.
    expect(await published()).toBe(publishedBefore);
  });
});

describe("POST /api/v1/recovery/approve and DELETE /candidates/{id}", () => {
  it("records an approval with audit row, provenance row, outbox event and metric", async () => {
    const id = await newCandidate();
    const before = await t.metric("recovery_approvals_total", { decision: "approved" });
    const publishedBefore = await t.metric("m10_outbox_published_total", { aggregate_type: "recovery_candidate", event_type: "recovery.approved" });
    const response = await t.app.inject({
      method: "POST",
      url: "/api/v1/recovery/approve",
      headers: operator,
      payload: { candidate_id: id, approved_by: "olga@example.com", decision: "approved", note: "looks right" },
    });
    expect(response.statusCode).toBe(200);
    // The decider is the token's subject; the body's approved_by is only a note.
    expect(response.json()).toMatchObject({ id, decision: "approved", approved_by_human: "olga", review_note: "looks right", approved_at: expect.any(String) });
    const audit = await t.pool.query("SELECT action, actor, old_decision, new_decision, note FROM recovery_candidates_audit WHERE candidate_id = $1", [id]);
    expect(audit.rows).toEqual([{ action: "approved", actor: "olga", old_decision: "pending", new_decision: "approved", note: "looks right" }]);
    const provenance = await t.pool.query("SELECT event_type, actor_type FROM m10_recovery.suggestion_provenance WHERE suggestion_id = $1", [id]);
    expect(provenance.rows).toEqual([{ event_type: "approved", actor_type: "human" }]);
    const outbox = await t.pool.query("SELECT event_type FROM m10_recovery.outbox WHERE aggregate_id = $1", [String(id)]);
    expect(outbox.rows).toEqual([{ event_type: "recovery.approved" }]);
    expect(await t.metric("recovery_approvals_total", { decision: "approved" })).toBe(before + 1);
    expect(await t.metric("m10_outbox_published_total", { aggregate_type: "recovery_candidate", event_type: "recovery.approved" })).toBe(publishedBefore + 1);
  });

  it("records the token's subject as the decider and answers 404 / 400 for unknown candidates and decisions", async () => {
    const id = await newCandidate();
    const rejected = await t.app.inject({ method: "POST", url: "/api/v1/recovery/approve", headers: admin, payload: { candidate_id: id, decision: "rejected" } });
    expect(rejected.json()).toMatchObject({ decision: "rejected", approved_by_human: "acme-admin" });
    const missing = await t.app.inject({ method: "POST", url: "/api/v1/recovery/approve", headers: admin, payload: { candidate_id: 999999, decision: "approved" } });
    expect(missing.statusCode).toBe(404);
    const bad = await t.app.inject({ method: "POST", url: "/api/v1/recovery/approve", headers: admin, payload: { candidate_id: id, decision: "revoked" } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().field).toBe("decision");
  });

  it("soft-deletes a candidate by rejecting it", async () => {
    const id = await newCandidate();
    const response = await t.app.inject({ method: "DELETE", url: `/api/v1/recovery/candidates/${id}`, headers: admin });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: "deleted", candidate_id: id });
    const { rows } = await t.pool.query("SELECT decision, review_note FROM recovery_candidates WHERE id = $1", [id]);
    expect(rows[0]).toEqual({ decision: "rejected", review_note: "Revoked via admin delete" });
    const missing = await t.app.inject({ method: "DELETE", url: "/api/v1/recovery/candidates/999999", headers: admin });
    expect(missing.statusCode).toBe(404);
  });
});

describe("GET /actions, POST /evaluate, GET /stats", () => {
  it("lists the seeded action catalogue by priority with a total", async () => {
    const response = await t.app.inject({ method: "GET", url: "/api/v1/recovery/actions", headers: operator });
    expect(response.statusCode).toBe(200);
    const { actions, total } = response.json();
    expect(total).toBe(7);
    expect(actions).toHaveLength(7);
    const priorities = actions.map((a: { priority: number }) => a.priority);
    expect(priorities).toEqual([...priorities].sort((a, b) => b - a));
    const retries = await t.app.inject({ method: "GET", url: "/api/v1/recovery/actions?action_type=retry", headers: operator });
    expect(retries.json().actions.every((a: { action_type: string }) => a.action_type === "retry")).toBe(true);
  });

  it("evaluates a failure with the default rules without storing anything", async () => {
    const before = await t.pool.query("SELECT count(*)::int AS n FROM recovery_candidates");
    const response = await t.app.inject({
      method: "POST",
      url: "/api/v1/recovery/evaluate",
      headers: machine,
      payload: { error_code: "TIMEOUT", error_message: "Connection timed out", occurrence_count: 1 },
    });
    expect(response.statusCode).toBe(200);
    const json = response.json();
    expect(json.recommended_action).toEqual(expect.any(String));
    expect(json.rules_evaluated.length).toBeGreaterThan(0);
    expect(json).toMatchObject({ confidence: expect.any(Number), total_score: expect.any(Number), explanation: expect.any(String) });
    const after = await t.pool.query("SELECT count(*)::int AS n FROM recovery_candidates");
    expect(after.rows[0].n).toBe(before.rows[0].n);
    const invalid = await t.app.inject({ method: "POST", url: "/api/v1/recovery/evaluate", headers: machine, payload: { error_code: "X", error_message: "m", occurrence_count: 0 } });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json().field).toBe("occurrence_count");
  });

  it("reports real counts over the tenant's candidates", async () => {
    const { rows } = await t.pool.query(
      "SELECT count(*)::int AS total, count(*) FILTER (WHERE decision = 'approved')::int AS approved, count(*) FILTER (WHERE decision = 'rejected')::int AS rejected, count(*) FILTER (WHERE decision = 'pending')::int AS pending FROM recovery_candidates WHERE tenant_id = 'acme'",
    );
    const response = await t.app.inject({ method: "GET", url: "/api/v1/recovery/stats", headers: operator });
    expect(response.statusCode).toBe(200);
    const expected = rows[0];
    expect(response.json()).toMatchObject({
      total_candidates: expected.total,
      pending: expected.pending,
      approved: expected.approved,
      rejected: expected.rejected,
      approval_rate: Math.round((expected.approved / (expected.approved + expected.rejected)) * 10_000) / 10_000,
    });
    expect(expected.total).toBeGreaterThan(1);
  });
});
