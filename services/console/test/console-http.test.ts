// The console process over plain HTTP: probes, log-in and the session cookie, problem+json for
// bad input, the confirmation every action needs, a review decision and "run now" under the task's
// lock (skipped while another holder has it), and a graceful exit on SIGTERM.
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "@m10/devstack";
import { createTestDatabase, startService, streamKeysEnv, testStack, uniqueStreamKeys, useEnvironment } from "@m10/devstack/testing";
import pg from "pg";
import { describe, expect, it } from "vitest";

const ADMIN_TOKEN = "adm_console_http_0123456789abcdef_0123456789";
const OPERATOR_TOKEN = "op_console_http_0123456789abcdef_01234567890";

const env = useEnvironment(async (defer) => {
  const database = await createTestDatabase();
  defer(database.drop);
  const db = new pg.Pool({ connectionString: database.url, max: 2 });
  defer(() => db.end());
  const tokensFile = join(tmpdir(), `m10-console-http-${process.pid}-${Date.now()}.json`);
  writeFileSync(tokensFile, JSON.stringify({ [OPERATOR_TOKEN]: { subject: "olga", roles: ["operator"] } }), { mode: 0o600 });
  const closed = `http://127.0.0.1:${await freePort()}`;
  const service = await startService("services/console/bin/m10-console.js", {
    DATABASE_URL: database.url,
    REDIS_URL: testStack().redisUrl,
    ...streamKeysEnv(uniqueStreamKeys()),
    M10_ADMIN_TOKEN: ADMIN_TOKEN,
    M10_RBAC_TOKENS_FILE: tokensFile,
    INGEST_URL: closed,
    METRICS_COLLECTOR_URL: closed,
    CLAIM_WORKER_URL: closed,
    OUTBOX_PROCESSOR_URL: closed,
    ORCHESTRATOR_URL: closed,
    M10_HEALTH_TIMEOUT_MS: "300",
  });
  defer(() => service.stop());
  return { db, service, url: service.url };
});

interface Session {
  cookie: string;
  csrf: string;
}

async function logIn(token: string, next = "/"): Promise<{ response: Response; session: Session }> {
  const response = await fetch(`${env.url}/login`, { method: "POST", body: new URLSearchParams({ token, next }), redirect: "manual" });
  const cookie = (response.headers.get("set-cookie") ?? "").split(";")[0]!;
  const home = await (await fetch(`${env.url}/`, { headers: { cookie } })).text();
  const csrf = /name="_csrf" value="([^"]+)"/.exec(home)?.[1] ?? "";
  return { response, session: { cookie, csrf } };
}

const post = (session: Session, path: string, fields: Record<string, string>) =>
  fetch(`${env.url}${path}`, { method: "POST", headers: { cookie: session.cookie }, body: new URLSearchParams({ _csrf: session.csrf, ...fields }), redirect: "manual" });

async function problemCode(response: Response): Promise<string> {
  expect(response.headers.get("content-type")).toContain("application/problem+json");
  return ((await response.json()) as { code: string }).code;
}

describe("m10-console over HTTP", () => {
  it("answers its probes without a session and sends pages to the log-in", async () => {
    expect(await (await fetch(`${env.url}/health`)).json()).toMatchObject({ status: "ok", service: "console" });
    expect(await (await fetch(`${env.url}/ready`)).json()).toMatchObject({ ready: true, checks: { postgres: true } });
    expect((await fetch(`${env.url}/metrics`)).status).toBe(200);
    const page = await fetch(`${env.url}/outbox?state=dead`, { redirect: "manual" });
    expect(page.status).toBe(303);
    expect(page.headers.get("location")).toBe("/login?next=%2Foutbox%3Fstate%3Ddead");
  });

  it("logs in with a valid token into an HttpOnly, SameSite=Strict session, and refuses an unknown one", async () => {
    const { response } = await logIn(ADMIN_TOKEN, "//evil.example/");
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/");
    const cookie = response.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/^m10_console_session=[\w-]{40,};/);
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Strict");
    expect(cookie).not.toContain("Secure");
    const refused = await fetch(`${env.url}/login`, { method: "POST", body: new URLSearchParams({ token: "not-a-token" }), redirect: "manual" });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("set-cookie")).toBeNull();
  });

  it("answers bad input with a 4xx problem and a stable code, never a 500", async () => {
    const { session } = await logIn(ADMIN_TOKEN);
    const get = (path: string) => fetch(`${env.url}${path}`, { headers: { cookie: session.cookie } });
    const cases: [string, number, string][] = [
      ["/dead-letters?source=everywhere", 400, "invalid_source"],
      ["/dead-letters?hours=-3", 400, "invalid_hours"],
      ["/dead-letters?limit=100000", 400, "invalid_limit"],
      ["/dead-letters/nope-0", 404, "not_found"],
      ["/outbox?state=lost", 400, "invalid_state"],
      ["/candidates/abc", 400, "invalid_id"],
      ["/candidates?failure_match_id=xyz", 400, "invalid_failure_match_id"],
      ["/candidates/999999", 404, "not_found"],
      ["/no-such-page", 404, "not_found"],
    ];
    for (const [path, status, code] of cases) {
      const response = await get(path);
      expect(response.status, path).toBe(status);
      expect(await problemCode(response), path).toBe(code);
    }
    expect(await problemCode(await post(session, "/dead-letters/bulk", { confirm: "yes", op: "explode", id: "1" }))).toBe("invalid_op");
    expect(await problemCode(await post(session, "/dead-letters/bulk", { confirm: "yes", op: "replay" }))).toBe("no_selection");
    expect(await problemCode(await post(session, "/outbox/0/reset", { confirm: "yes" }))).toBe("invalid_id");
    expect(await problemCode(await post(session, "/outbox/424242/reset", { confirm: "yes" }))).toBe("not_found");
    const text = await fetch(`${env.url}/login`, { method: "POST", headers: { "content-type": "application/xml" }, body: "<token/>" });
    expect(text.status).toBe(415);
    expect(await problemCode(text)).toBe("unsupported_media_type");
    const huge = await post(session, "/dead-letters/bulk", { confirm: "yes", op: "replay", note: "x".repeat(100_000) });
    expect(huge.status).toBe(413);
    expect(await problemCode(huge)).toBe("body_too_large");
  });

  it("runs no action without the ticked confirmation, and audits the refusal", async () => {
    const { session } = await logIn(OPERATOR_TOKEN);
    const response = await post(session, "/outbox/reset-stuck", {});
    expect(response.status).toBe(400);
    expect(await problemCode(response)).toBe("confirmation_required");
    const { rows } = await env.db.query("SELECT subject, action, allowed, reason FROM system.rbac_audit WHERE resource = 'console' AND action = 'outbox_reset_stuck'");
    expect(rows).toEqual([{ subject: "olga", action: "outbox_reset_stuck", allowed: false, reason: "confirmation_required" }]);
  });

  it("records an operator's review decision with its outbox event", async () => {
    const { rows } = await env.db.query<{ id: number }>("INSERT INTO public.recovery_candidates (failure_match_id, suggestion, confidence) VALUES (gen_random_uuid(), 's', 0.5) RETURNING id");
    const id = rows[0]!.id;
    const { session } = await logIn(OPERATOR_TOKEN);
    expect(await problemCode(await post(session, `/candidates/${id}/decision`, { confirm: "yes", decision: "approved" }))).toBe("note_required");
    const response = await post(session, `/candidates/${id}/decision`, { confirm: "yes", decision: "approved", note: "safe to restart" });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain(`Candidate ${id} approved by olga`);
    const candidate = await env.db.query("SELECT decision, approved_by_human, review_note FROM public.recovery_candidates WHERE id = $1", [id]);
    expect(candidate.rows[0]).toEqual({ decision: "approved", approved_by_human: "olga", review_note: "safe to restart" });
    const events = await env.db.query("SELECT event_type FROM m10_recovery.outbox WHERE aggregate_id = $1", [String(id)]);
    expect(events.rows).toEqual([{ event_type: "recovery.approved" }]);
  });

  it("runs a maintenance task now under its lock, and skips it while another holder has the lock", async () => {
    const { session } = await logIn(ADMIN_TOKEN);
    const ran = await post(session, "/maintenance/run", { confirm: "yes", task: "reclaim_gc" });
    expect(ran.status).toBe(200);
    expect(await ran.text()).toMatch(/reclaim_gc: done in/);
    await env.db.query("SELECT m10_recovery.acquire_lock('m10:reclaim_gc', 'someone-else', 300)");
    const skipped = await post(session, "/maintenance/run", { confirm: "yes", task: "reclaim_gc" });
    expect(await skipped.text()).toContain("skipped: Lock m10:reclaim_gc held by someone-else");
    const page = await (await fetch(`${env.url}/maintenance`, { headers: { cookie: session.cookie } })).text();
    expect(page).toContain("someone-else");
    expect(await problemCode(await post(session, "/maintenance/run", { confirm: "yes", task: "outbox_process" }))).toBe("invalid_task");
  });

  it("ends the session on log-out", async () => {
    const { session } = await logIn(ADMIN_TOKEN);
    const out = await post(session, "/logout", {});
    expect(out.status).toBe(303);
    expect((await fetch(`${env.url}/`, { headers: { cookie: session.cookie }, redirect: "manual" })).status).toBe(303);
  });

  it("exits 0 on SIGTERM", async () => {
    expect(await env.service.stop("SIGTERM")).toBe(0);
  });
});
