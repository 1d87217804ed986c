import { waitUntil } from "@m10/devstack/testing";
import { describe, expect, it } from "vitest";
import { bearer, FILE_TOKENS, MACHINE_TOKEN, startTestApp, useTestApp } from "./support/test-app.js";

const t = useTestApp({ env: { M10_RATE_LIMIT_PINS_MAX: "100000" } });
const acme = bearer(FILE_TOKENS.acmeMachine.token);
const globex = bearer(FILE_TOKENS.globexMachine.token);
const acmeAdmin = bearer(FILE_TOKENS.acmeAdmin.token);

const put = (headers: Record<string, string>, payload: Record<string, unknown>) => t.app.inject({ method: "POST", url: "/api/v1/memory/pins", headers, payload });
const get = (headers: Record<string, string>, url: string) => t.app.inject({ method: "GET", url, headers });

describe("memory pins", () => {
  it("creates and replaces a pin with 201, under the token's tenant", async () => {
    const created = await put(acme, { key: "agent-config", value: { foo: "bar" } });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ tenant_id: "acme", key: "agent-config", value: { foo: "bar" }, source: "api", ttl_seconds: null, expires_at: null });
    const replaced = await put(acme, { key: "agent-config", value: { foo: "baz" }, source: "seed" });
    expect(replaced.statusCode).toBe(201);
    expect(replaced.json()).toMatchObject({ id: created.json().id, value: { foo: "baz" }, source: "seed" });
    const read = await get(acme, "/api/v1/memory/pins/agent-config");
    expect(read.statusCode).toBe(200);
    expect(read.json().value).toEqual({ foo: "baz" });
    const audit = await t.pool.query("SELECT operation, tenant_id, agent_id, success, old_value_hash IS NOT NULL AS had_old FROM system.memory_audit WHERE key = 'agent-config' ORDER BY id");
    expect(audit.rows).toEqual([
      { operation: "upsert", tenant_id: "acme", agent_id: "acme-agent", success: true, had_old: false },
      { operation: "upsert", tenant_id: "acme", agent_id: "acme-agent", success: true, had_old: true },
      { operation: "get", tenant_id: "acme", agent_id: "acme-agent", success: true, had_old: false },
    ]);
  });

  it("keeps tenants apart: another tenant neither sees nor can name the pin", async () => {
    await put(acme, { key: "secret", value: { plan: "A" } });
    const hidden = await get(globex, "/api/v1/memory/pins/secret");
    expect(hidden.statusCode).toBe(404);
    const named = await get(globex, "/api/v1/memory/pins/secret?tenant_id=acme");
    expect(named.statusCode).toBe(403);
    expect(named.json()).toMatchObject({ code: "tenant_mismatch", field: "tenant_id" });
    const writeOther = await put(globex, { tenant_id: "acme", key: "secret", value: { plan: "B" } });
    expect(writeOther.statusCode).toBe(403);
    const listed = await get(globex, "/api/v1/memory/pins");
    expect(listed.json().pins.map((p: { key: string }) => p.key)).not.toContain("secret");
    const deleteOther = await t.app.inject({ method: "DELETE", url: "/api/v1/memory/pins/secret?tenant_id=acme", headers: acmeAdmin });
    expect(deleteOther.statusCode).toBe(200);
    const denials = () => t.pool.query("SELECT subject, reason, allowed, tenant_id FROM system.rbac_audit WHERE reason = 'tenant_mismatch' ORDER BY id");
    // Audit records are written in batches, off the request path.
    await waitUntil("the denial is audited", async () => (await denials()).rows.length > 0);
    const denial = await denials();
    expect(denial.rows[0]).toMatchObject({ subject: "globex-agent", allowed: false, tenant_id: "globex" });
    const own = await put(globex, { tenant_id: "globex", key: "secret", value: { plan: "G" } });
    expect(own.statusCode).toBe(201);
  });

  it("hides expired pins, keeps the original created_at on re-upsert and clears expiry without a TTL", async () => {
    const zero = await put(acme, { key: "ephemeral", value: {}, ttl_seconds: 0 });
    expect(zero.statusCode).toBe(201);
    expect((await get(acme, "/api/v1/memory/pins/ephemeral")).statusCode).toBe(404);
    const withExpired = await get(acme, "/api/v1/memory/pins?prefix=ephemeral&include_expired=true");
    expect(withExpired.json().total).toBe(1);
    expect((await get(acme, "/api/v1/memory/pins?prefix=ephemeral")).json().total).toBe(0);

    const first = await put(acme, { key: "ttl", value: {}, ttl_seconds: 3600 });
    const createdAt = Date.parse(first.json().created_at);
    expect(Date.parse(first.json().expires_at) - createdAt).toBe(3_600_000);
    const again = await put(acme, { key: "ttl", value: {}, ttl_seconds: 60 });
    expect(Date.parse(again.json().expires_at)).toBe(createdAt + 60_000);
    const cleared = await put(acme, { key: "ttl", value: {} });
    expect(cleared.json().expires_at).toBeNull();
  });

  it("matches prefixes literally (% and _ are not wildcards) and pages with a total", async () => {
    for (const key of ["p%x", "p_y", "pzz", "pa1", "pa2"]) await put(acme, { key, value: { key } });
    const percent = await get(acme, "/api/v1/memory/pins?prefix=p%25");
    expect(percent.json().pins.map((p: { key: string }) => p.key)).toEqual(["p%x"]);
    const underscore = await get(acme, "/api/v1/memory/pins?prefix=p_");
    expect(underscore.json().pins.map((p: { key: string }) => p.key)).toEqual(["p_y"]);
    const page = await get(acme, "/api/v1/memory/pins?prefix=pa&limit=1");
    expect(page.json()).toMatchObject({ total: 2, limit: 1, offset: 0 });
    expect(page.json().pins).toHaveLength(1);
  });

  it("deletes a pin (404 the second time) and cleans up expired pins of the tenant", async () => {
    await put(acme, { key: "gone", value: {} });
    const deleted = await t.app.inject({ method: "DELETE", url: "/api/v1/memory/pins/gone", headers: acmeAdmin });
    expect(deleted.statusCode).toBe(200);
    expect(deleted.json()).toEqual({ deleted: true, key: "gone", tenant_id: "acme" });
    const again = await t.app.inject({ method: "DELETE", url: "/api/v1/memory/pins/gone", headers: acmeAdmin });
    expect(again.statusCode).toBe(404);
    expect(again.json().code).toBe("pin_not_found");

    await put(acme, { key: "old-1", value: {}, ttl_seconds: 0 });
    await put(globex, { key: "old-g", value: {}, ttl_seconds: 0 });
    const cleanup = await t.app.inject({ method: "POST", url: "/api/v1/memory/pins/cleanup", headers: acmeAdmin });
    expect(cleanup.statusCode).toBe(200);
    expect(cleanup.json()).toMatchObject({ tenant_id: "acme", timestamp: expect.any(String) });
    expect(cleanup.json().deleted_count).toBeGreaterThanOrEqual(1);
    const { rows } = await t.pool.query("SELECT tenant_id FROM system.memory_pins WHERE key IN ('old-1', 'old-g')");
    expect(rows).toEqual([{ tenant_id: "globex" }]);
  });

  it("rejects keys with .., / or \\, non-object values and out-of-range TTLs with 400", async () => {
    for (const payload of [
      { key: "a..b", value: {} },
      { key: "a\\b", value: {} },
      { key: "", value: {} },
      { key: "k", value: [1, 2] },
      { key: "k", value: "text" },
      { key: "k", value: {}, ttl_seconds: -1 },
      { key: "k", value: {}, ttl_seconds: 31_536_001 },
      { key: "x".repeat(513), value: {} },
    ]) {
      const response = await put(acme, payload);
      expect(response.statusCode, JSON.stringify(payload).slice(0, 60)).toBe(400);
    }
    const slash = await get(acme, "/api/v1/memory/pins/a%2Fb");
    expect(slash.statusCode).toBe(400);
    const nulInValue = await put(acme, { key: "nul", value: { text: "a\u0000b" } });
    expect(nulInValue.statusCode).toBe(400);
    expect(nulInValue.json().code).toBe("invalid_value");
  });

  it("counts operations by result", async () => {
    const before = await t.metric("memory_pins_operations_total", { operation: "get", status: "not_found" });
    await get(acme, "/api/v1/memory/pins/never-there");
    expect(await t.metric("memory_pins_operations_total", { operation: "get", status: "not_found" })).toBe(before + 1);
    expect(await t.metric("memory_pins_latency_seconds_count", { operation: "get" })).toBeGreaterThan(0);
  });
});

describe("the machine token acting for a tenant", () => {
  const machine = bearer(MACHINE_TOKEN);

  it("writes and reads t1's pin when it names t1 (the M7 runbook's phase 4), and audits the crossing", async () => {
    const created = await put({ "x-machine-token": MACHINE_TOKEN }, { tenant_id: "t1", key: "k", value: {} });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ tenant_id: "t1", key: "k" });
    const read = await get(machine, "/api/v1/memory/pins/k?tenant_id=t1");
    expect(read.statusCode).toBe(200);
    // Without a name it is its own tenant's ("default"), which has no such pin.
    expect((await get(machine, "/api/v1/memory/pins/k")).statusCode).toBe(404);
    const audited = () => t.pool.query("SELECT subject, allowed, extra->>'requested_tenant' AS requested FROM system.rbac_audit WHERE reason = 'machine_acts_for_tenant'");
    await waitUntil("the crossing is audited", async () => (await audited()).rows.length >= 2);
    expect((await audited()).rows[0]).toMatchObject({ subject: "machine", allowed: true, requested: "t1" });
  });

  it("a tenant's own machine-role token stays pinned: naming another tenant is 403 tenant_mismatch", async () => {
    const refused = await put(acme, { tenant_id: "t1", key: "k", value: {} });
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ code: "tenant_mismatch", field: "tenant_id" });
  });

  it("keeps to M10_MACHINE_TOKEN_TENANTS when it is a list, on pins and candidate routes alike", async () => {
    // The pins budget of tenant "default" is shared in Redis with the other apps writing as the machine token.
    const limited = await startTestApp({ env: { M10_MACHINE_TOKEN_TENANTS: "t1, t2", M10_RATE_LIMIT_PINS_MAX: "100000" } });
    try {
      const pin = (tenant: string) => limited.app.inject({ method: "POST", url: "/api/v1/memory/pins", headers: machine, payload: { tenant_id: tenant, key: "k", value: {} } });
      expect((await pin("t2")).statusCode).toBe(201);
      expect((await pin("default")).statusCode).toBe(201);
      const outside = await pin("acme");
      expect(outside.statusCode).toBe(403);
      expect(outside.json()).toMatchObject({ code: "tenant_mismatch" });
      const stats = (tenant: string) => limited.app.inject({ method: "GET", url: `/api/v1/recovery/stats?tenant=${tenant}`, headers: machine });
      expect((await stats("t1")).statusCode).toBe(200);
      expect((await stats("acme")).statusCode).toBe(403);
    } finally {
      await limited.close();
    }
  });
});

describe("memory pins switched off", () => {
  it("answers 503 feature_disabled for every pins route when MEMORY_PINS_ENABLED=false", async () => {
    const off = await startTestApp({ env: { MEMORY_PINS_ENABLED: "false" } });
    try {
      const response = await off.app.inject({ method: "GET", url: "/api/v1/memory/pins", headers: bearer(MACHINE_TOKEN) });
      expect(response.statusCode).toBe(503);
      expect(response.json()).toMatchObject({ code: "feature_disabled" });
    } finally {
      await off.close();
    }
  });
});

describe("memory pins with RBAC off", () => {
  it("takes the tenant from the request, defaulting to global, as the predecessor did", async () => {
    const open = await startTestApp({ env: { RBAC_ENFORCE: "false" } });
    try {
      const created = await open.app.inject({ method: "POST", url: "/api/v1/memory/pins", payload: { tenant_id: "t1", key: "k", value: {} } });
      expect(created.statusCode).toBe(201);
      expect(created.json().tenant_id).toBe("t1");
      const global = await open.app.inject({ method: "POST", url: "/api/v1/memory/pins", payload: { key: "test-key", value: { foo: "bar" } } });
      expect(global.json().tenant_id).toBe("global");
      const read = await open.app.inject({ method: "GET", url: "/api/v1/memory/pins/test-key?tenant_id=global" });
      expect(read.statusCode).toBe(200);
    } finally {
      await open.close();
    }
  });
});
