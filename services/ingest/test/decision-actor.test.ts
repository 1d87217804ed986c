// Decisions are the token's (issue 11 item 12): approved_by in the body is a note, never the actor,
// and allowed privileged actions are in system.rbac_audit next to the denials.
import { waitUntil } from "@m10/devstack/testing";
import { describe, expect, it } from "vitest";
import { bearer, ingestBody, TENANT_TOKENS, useTestApp } from "./support/test-app.js";

const t = useTestApp();
const operator = TENANT_TOKENS.a.operator;

async function newCandidate(): Promise<number> {
  const response = await t.app.inject({ method: "POST", url: "/api/v1/recovery/ingest", headers: bearer(TENANT_TOKENS.a.machine.token), payload: ingestBody() });
  expect(response.statusCode).toBe(202);
  return response.json().candidate_id as number;
}

describe("decision records", () => {
  it("record the token's subject as the decider, whatever approved_by says", async () => {
    const id = await newCandidate();
    const response = await t.app.inject({
      method: "POST",
      url: "/api/v1/recovery/approve",
      headers: { ...bearer(operator.token), "x-request-id": `decide-${id}` },
      payload: { candidate_id: id, decision: "approved", approved_by: "the-ceo", note: "looks right" },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ decision: "approved", approved_by_human: operator.subject });

    const audit = await t.pool.query("SELECT actor FROM recovery_candidates_audit WHERE candidate_id = $1", [id]);
    expect(audit.rows).toEqual([{ actor: operator.subject }]);
    const provenance = await t.pool.query("SELECT actor, actor_type, details FROM m10_recovery.suggestion_provenance WHERE suggestion_id = $1 AND event_type = 'approved'", [id]);
    expect(provenance.rows[0]).toMatchObject({ actor: operator.subject, actor_type: "human", details: { named_reviewer: "the-ceo", subject: operator.subject } });
    const event = await t.pool.query("SELECT payload FROM m10_recovery.outbox WHERE aggregate_id = $1 AND event_type = 'recovery.approved'", [String(id)]);
    expect(event.rows[0]?.payload).toMatchObject({ decided_by: operator.subject });
  });

  it("audit allowed privileged actions (approve, outcome report, delete) in system.rbac_audit, not only denials", async () => {
    const id = await newCandidate();
    const requests = [
      { method: "PATCH" as const, url: `/api/v1/recovery/candidates/${id}`, payload: { execution_status: "executing" }, permission: ["recovery", "write"] },
      { method: "POST" as const, url: "/api/v1/recovery/approve", payload: { candidate_id: id, decision: "rejected" }, permission: ["recovery", "approve"] },
      { method: "DELETE" as const, url: `/api/v1/recovery/candidates/${id}`, permission: ["recovery", "approve"] },
    ];
    for (const [index, request] of requests.entries()) {
      const { permission: _permission, ...options } = request;
      const response = await t.app.inject({ ...options, headers: { ...bearer(operator.token), "x-request-id": `allowed-${id}-${index}` } });
      expect(response.statusCode, request.url).toBe(200);
    }
    const audited = () =>
      t.pool.query("SELECT subject, resource, action, allowed, reason, tenant_id, request_id FROM system.rbac_audit WHERE request_id LIKE $1 ORDER BY request_id", [
        `allowed-${id}-%`,
      ]);
    await waitUntil("the allowed decisions are audited", async () => (await audited()).rows.length >= requests.length);
    const { rows } = await audited();
    expect(rows).toEqual(
      requests.map((request, index) => ({
        subject: operator.subject,
        resource: request.permission[0],
        action: request.permission[1],
        allowed: true,
        reason: "role",
        tenant_id: operator.tenant,
        request_id: `allowed-${id}-${index}`,
      })),
    );
  });
});
