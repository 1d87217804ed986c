// Tenant isolation of candidates, outcomes, decisions, stats and action statistics (issue 11 item
// 11): tenant A's tokens of every role against tenant B's data answer 404 / 403, never data, and
// change nothing; only an admin crosses tenants, and only when it names one (?tenant=).
import { waitUntil } from "@m10/devstack/testing";
import { describe, expect, it } from "vitest";
import { ROLE_PERMISSIONS, ROLES, type Permission, type Role } from "@m10/shared";
import { bearer, ingestBody, TENANT_TOKENS, useTestApp } from "./support/test-app.js";

const t = useTestApp();
const A = TENANT_TOKENS.a;
const B = TENANT_TOKENS.b;

/** A candidate of tenant B with an outcome report (so it has provenance and counts in B's stats). */
async function candidateOfB(source: string): Promise<{ id: number; failureMatchId: string }> {
  const body = ingestBody({ source });
  const created = await t.app.inject({ method: "POST", url: "/api/v1/recovery/ingest", headers: bearer(B.admin.token), payload: body });
  expect(created.statusCode).toBe(202);
  const id = created.json().candidate_id as number;
  const patched = await t.app.inject({ method: "PATCH", url: `/api/v1/recovery/candidates/${id}`, headers: bearer(B.machine.token), payload: { execution_status: "executing" } });
  expect(patched.statusCode).toBe(200);
  return { id, failureMatchId: body.failure_match_id as string };
}

async function stateOf(id: number) {
  const { rows } = await t.pool.query(
    "SELECT decision, approved_by_human, execution_status, selected_action_id, occurrence_count, tenant_id FROM recovery_candidates WHERE id = $1",
    [id],
  );
  return rows[0];
}

const may = (role: Role, permission: Permission) => ROLE_PERMISSIONS[role].includes(permission);

describe("tenant A's tokens against tenant B's candidates", () => {
  for (const role of ROLES) {
    it(`role ${role}: no read shows B's data, no write changes it (404 when permitted, 403 otherwise)`, async () => {
      const source = `iso-${crypto.randomUUID().slice(0, 8)}`;
      const { id } = await candidateOfB(source);
      const before = await stateOf(id);
      const headers = bearer(A[role].token);
      const inject = (method: "GET" | "PATCH" | "POST" | "DELETE", url: string, payload?: object) => t.app.inject({ method, url, headers, ...(payload ? { payload } : {}) });

      const list = await inject("GET", `/api/v1/recovery/candidates?status=all&source=${source}`);
      expect(list.statusCode).toBe(200);
      expect(list.json().candidates).toEqual([]);
      expect(list.body).not.toContain(`"id":${id},`);

      for (const url of [`/api/v1/recovery/candidates/${id}`, `/api/v1/recovery/candidates/${id}/provenance`]) {
        const read = await inject("GET", url);
        expect(read.statusCode, url).toBe(404);
        expect(read.json().code, url).toBe("candidate_not_found");
      }

      const expectDenied = (response: { statusCode: number; json: () => { code: string } }, permission: Permission, what: string) => {
        expect(response.statusCode, what).toBe(may(role, permission) ? 404 : 403);
        expect(response.json().code, what).toBe(may(role, permission) ? "candidate_not_found" : "forbidden");
      };
      expectDenied(await inject("PATCH", `/api/v1/recovery/candidates/${id}`, { execution_status: "succeeded", selected_action_id: 1 }), "recovery:write", "PATCH");
      expectDenied(await inject("POST", "/api/v1/recovery/approve", { candidate_id: id, decision: "approved" }), "recovery:approve", "approve");
      expectDenied(await inject("POST", "/api/v1/recovery/approve", { candidate_id: id, decision: "rejected" }), "recovery:approve", "reject");
      expectDenied(await inject("DELETE", `/api/v1/recovery/candidates/${id}`), "recovery:approve", "DELETE");

      // Naming tenant B is for admins only.
      const named = await inject("GET", `/api/v1/recovery/candidates/${id}?tenant=${B.admin.tenant}`);
      if (role === "admin") expect(named.json()).toMatchObject({ id, source });
      else {
        expect(named.statusCode).toBe(403);
        expect(named.json()).toMatchObject({ code: "tenant_mismatch", field: "tenant" });
      }

      expect(await stateOf(id)).toEqual(before);
      const audit = await t.pool.query("SELECT count(*)::int AS n FROM recovery_candidates_audit WHERE candidate_id = $1", [id]);
      expect(audit.rows[0].n).toBe(0);
    });
  }

  it("ingest records the token's tenant; a failure_match_id of tenant B is a 409 for A and B's count is unchanged", async () => {
    const { id, failureMatchId } = await candidateOfB(`iso-${crypto.randomUUID().slice(0, 8)}`);
    const mine = await t.app.inject({ method: "POST", url: "/api/v1/recovery/ingest", headers: bearer(A.machine.token), payload: ingestBody() });
    expect(mine.statusCode).toBe(202);
    expect((await stateOf(mine.json().candidate_id as number))?.tenant_id).toBe("tenant-a");
    expect((await stateOf(id))?.tenant_id).toBe("tenant-b");

    const stolen = await t.app.inject({ method: "POST", url: "/api/v1/recovery/ingest", headers: bearer(A.machine.token), payload: ingestBody({ failure_match_id: failureMatchId }) });
    expect(stolen.statusCode).toBe(409);
    expect(stolen.json()).toMatchObject({ code: "failure_match_id_conflict" });
    expect(stolen.json()).not.toHaveProperty("candidate_id");
    const batch = await t.app.inject({
      method: "POST",
      url: "/api/v1/recovery/ingest/batch",
      headers: bearer(A.machine.token),
      payload: { items: [ingestBody({ failure_match_id: failureMatchId })] },
    });
    expect(batch.json().results[0]).toMatchObject({ status: "rejected", candidate_id: null, code: "failure_match_id_conflict" });
    expect((await stateOf(id))?.occurrence_count).toBe(1);
  });

  it("stats and action success rates are the tenant's own", async () => {
    const statsOfA = async () => (await t.app.inject({ method: "GET", url: "/api/v1/recovery/stats", headers: bearer(A.readonly.token) })).json();
    const skipTask = async (token: string) =>
      ((await t.app.inject({ method: "GET", url: "/api/v1/recovery/actions?active_only=false", headers: bearer(token) })).json().actions as { action_code: string }[]).find(
        (action) => action.action_code === "skip_task",
      );
    const before = await statsOfA();
    const { id } = await candidateOfB(`iso-${crypto.randomUUID().slice(0, 8)}`);
    const skipId = (await t.pool.query("SELECT id FROM m10_recovery.suggestion_action WHERE action_code = 'skip_task'")).rows[0].id as number;
    const reported = await t.app.inject({
      method: "PATCH",
      url: `/api/v1/recovery/candidates/${id}`,
      headers: bearer(B.machine.token),
      payload: { execution_status: "succeeded", selected_action_id: skipId },
    });
    expect(reported.statusCode).toBe(200);

    expect(await statsOfA()).toEqual(before);
    const ofB = (await t.app.inject({ method: "GET", url: "/api/v1/recovery/stats", headers: bearer(B.readonly.token) })).json();
    expect(ofB.succeeded).toBeGreaterThanOrEqual(1);
    expect(await skipTask(A.readonly.token)).toMatchObject({ success_rate: 0, total_applications: 0 });
    expect(await skipTask(B.readonly.token)).toMatchObject({ success_rate: 1, total_applications: 1 });
    // An admin reads another tenant's figures only by naming it.
    const named = await t.app.inject({ method: "GET", url: `/api/v1/recovery/stats?tenant=tenant-b`, headers: bearer(A.admin.token) });
    expect(named.json()).toEqual(ofB);
  });

  it("audits an admin's look into another tenant as admin_cross_tenant", async () => {
    const { id } = await candidateOfB(`iso-${crypto.randomUUID().slice(0, 8)}`);
    const requestId = `cross-${id}`;
    const looked = await t.app.inject({ method: "GET", url: `/api/v1/recovery/candidates/${id}?tenant=tenant-b`, headers: { ...bearer(A.admin.token), "x-request-id": requestId } });
    expect(looked.statusCode).toBe(200);
    const audited = () => t.pool.query("SELECT subject, allowed, reason, tenant_id, extra->>'requested_tenant' AS requested FROM system.rbac_audit WHERE request_id = $1", [requestId]);
    await waitUntil("the crossing is audited", async () => (await audited()).rows.length > 0);
    expect((await audited()).rows).toEqual([{ subject: A.admin.subject, allowed: true, reason: "admin_cross_tenant", tenant_id: "tenant-a", requested: "tenant-b" }]);
  });
});
