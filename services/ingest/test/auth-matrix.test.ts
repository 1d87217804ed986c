// Every route × no token / wrong token / each role → 401 / 403 / 2xx, per ROLE_PERMISSIONS.
import { waitUntil } from "@m10/devstack/testing";
import type { InjectOptions } from "fastify";
import { describe, expect, it } from "vitest";
import { ROLE_PERMISSIONS, type Permission, type Role } from "@m10/shared";
import { ADMIN_TOKEN, bearer, FILE_TOKENS, ingestBody, MACHINE_TOKEN, startTestApp, useTestApp } from "./support/test-app.js";

const t = useTestApp({ env: { M10_RATE_LIMIT_PINS_MAX: "100000" } });

const ROLE_TOKENS: Record<Role, string> = {
  admin: ADMIN_TOKEN,
  machine: MACHINE_TOKEN,
  operator: FILE_TOKENS.operator.token,
  readonly: FILE_TOKENS.readonly.token,
};

/** The admin of the tenant of `token` (operator and readonly are acme's, the others default's). */
const tenantAdminOf = (token: string) => (token === FILE_TOKENS.operator.token || token === FILE_TOKENS.readonly.token ? FILE_TOKENS.acmeAdmin.token : ADMIN_TOKEN);

/** A candidate of the tenant of `token`, so a permitted read or write finds it. */
async function candidateId(token: string): Promise<number> {
  const response = await t.app.inject({ method: "POST", url: "/api/v1/recovery/ingest", headers: bearer(tenantAdminOf(token)), payload: ingestBody() });
  return response.json().candidate_id as number;
}

/** A pin under the tenant of `token`, so a permitted read or delete finds it. */
async function pinFor(token: string): Promise<string> {
  const key = `matrix-${crypto.randomUUID()}`;
  const response = await t.app.inject({ method: "POST", url: "/api/v1/memory/pins", headers: bearer(tenantAdminOf(token)), payload: { key, value: { v: 1 } } });
  expect(response.statusCode).toBe(201);
  return key;
}

interface RouteCase {
  name: string;
  permission: Permission;
  request: (token: string) => Promise<InjectOptions>;
}

const ROUTES: RouteCase[] = [
  { name: "POST /recovery/ingest", permission: "ingest:write", request: async () => ({ method: "POST", url: "/api/v1/recovery/ingest", payload: ingestBody() }) },
  { name: "POST /recovery/ingest/batch", permission: "ingest:write", request: async () => ({ method: "POST", url: "/api/v1/recovery/ingest/batch", payload: { items: [ingestBody()] } }) },
  { name: "GET /recovery/candidates", permission: "recovery:read", request: async () => ({ method: "GET", url: "/api/v1/recovery/candidates" }) },
  { name: "GET /recovery/candidates/{id}", permission: "recovery:read", request: async (token) => ({ method: "GET", url: `/api/v1/recovery/candidates/${await candidateId(token)}` }) },
  {
    name: "PATCH /recovery/candidates/{id}",
    permission: "recovery:write",
    request: async (token) => ({ method: "PATCH", url: `/api/v1/recovery/candidates/${await candidateId(token)}`, payload: { execution_status: "executing" } }),
  },
  {
    name: "POST /recovery/approve",
    permission: "recovery:approve",
    request: async (token) => ({ method: "POST", url: "/api/v1/recovery/approve", payload: { candidate_id: await candidateId(token), decision: "approved", approved_by: "me" } }),
  },
  { name: "DELETE /recovery/candidates/{id}", permission: "recovery:approve", request: async (token) => ({ method: "DELETE", url: `/api/v1/recovery/candidates/${await candidateId(token)}` }) },
  { name: "GET /recovery/actions", permission: "recovery:read", request: async () => ({ method: "GET", url: "/api/v1/recovery/actions" }) },
  {
    name: "POST /recovery/evaluate",
    permission: "recovery:read",
    request: async () => ({ method: "POST", url: "/api/v1/recovery/evaluate", payload: { error_code: "TIMEOUT", error_message: "slow" } }),
  },
  { name: "GET /recovery/stats", permission: "recovery:read", request: async () => ({ method: "GET", url: "/api/v1/recovery/stats" }) },
  { name: "POST /memory/pins", permission: "pins:write", request: async () => ({ method: "POST", url: "/api/v1/memory/pins", payload: { key: "matrix-write", value: {} } }) },
  { name: "GET /memory/pins", permission: "pins:read", request: async () => ({ method: "GET", url: "/api/v1/memory/pins" }) },
  { name: "GET /memory/pins/{key}", permission: "pins:read", request: async (token) => ({ method: "GET", url: `/api/v1/memory/pins/${await pinFor(token)}` }) },
  { name: "DELETE /memory/pins/{key}", permission: "pins:delete", request: async (token) => ({ method: "DELETE", url: `/api/v1/memory/pins/${await pinFor(token)}` }) },
  { name: "POST /memory/pins/cleanup", permission: "pins:admin", request: async () => ({ method: "POST", url: "/api/v1/memory/pins/cleanup" }) },
];

const withHeaders = (options: InjectOptions, headers: Record<string, string>): InjectOptions => ({ ...options, headers: { ...(options.headers ?? {}), ...headers } });

describe("auth matrix", () => {
  for (const route of ROUTES) {
    describe(route.name, () => {
      it("answers 401 unauthenticated without credentials", async () => {
        const response = await t.app.inject(await route.request(""));
        expect(response.statusCode).toBe(401);
        expect(response.headers["www-authenticate"]).toContain("Bearer");
        expect(response.json()).toMatchObject({ code: "unauthenticated" });
      });

      it("answers 401 invalid_credentials for a wrong token, in either header", async () => {
        const wrongBearer = await t.app.inject(withHeaders(await route.request(""), bearer("not-a-real-token-000000000000")));
        expect(wrongBearer.statusCode).toBe(401);
        expect(wrongBearer.json()).toMatchObject({ code: "invalid_credentials" });
        const wrongMachine = await t.app.inject(withHeaders(await route.request(""), { "x-machine-token": `${MACHINE_TOKEN}x` }));
        expect(wrongMachine.statusCode).toBe(401);
        const basic = await t.app.inject(withHeaders(await route.request(""), { authorization: `Basic ${Buffer.from(`a:${ADMIN_TOKEN}`).toString("base64")}` }));
        expect(basic.statusCode).toBe(401);
      });

      it("grants nothing for an X-Roles: admin header", async () => {
        const anonymous = await t.app.inject(withHeaders(await route.request(""), { "x-roles": "admin" }));
        expect(anonymous.statusCode).toBe(401);
      });

      for (const role of Object.keys(ROLE_TOKENS) as Role[]) {
        const allowed = ROLE_PERMISSIONS[role].includes(route.permission);
        it(`${allowed ? "serves" : "answers 403 to"} role ${role}`, async () => {
          const token = ROLE_TOKENS[role];
          const response = await t.app.inject(withHeaders(await route.request(token), { ...bearer(token), "x-roles": "admin" }));
          if (allowed) {
            expect(response.statusCode, response.body).toBeGreaterThanOrEqual(200);
            expect(response.statusCode, response.body).toBeLessThan(300);
          } else {
            expect(response.statusCode).toBe(403);
            expect(response.json()).toMatchObject({ code: "forbidden" });
          }
        });
      }
    });
  }

  it("accepts the X-Machine-Token header as credentials", async () => {
    const response = await t.app.inject({ method: "GET", url: "/api/v1/recovery/stats", headers: { "x-machine-token": MACHINE_TOKEN } });
    expect(response.statusCode).toBe(200);
  });

  it("writes every denial to system.rbac_audit with subject, reason and request id", async () => {
    await t.app.inject({ method: "GET", url: "/api/v1/recovery/stats", headers: { "x-request-id": "audit-check-1" } });
    await t.app.inject({ method: "POST", url: "/api/v1/memory/pins/cleanup", headers: { ...bearer(FILE_TOKENS.readonly.token), "x-request-id": "audit-check-2" } });
    const audited = () =>
      t.pool.query(
        "SELECT subject, resource, action, allowed, reason, roles, path, method, request_id, tenant_id FROM system.rbac_audit WHERE request_id IN ('audit-check-1', 'audit-check-2') ORDER BY id",
      );
    // Audit records are written in batches, off the request path.
    await waitUntil("both denials are audited", async () => (await audited()).rows.length >= 2);
    const { rows } = await audited();
    expect(rows).toEqual([
      { subject: "anonymous", resource: "recovery", action: "read", allowed: false, reason: "no_credentials", roles: [], path: "/api/v1/recovery/stats", method: "GET", request_id: "audit-check-1", tenant_id: null },
      {
        subject: "rita",
        resource: "pins",
        action: "admin",
        allowed: false,
        reason: "missing_permission",
        roles: ["readonly"],
        path: "/api/v1/memory/pins/cleanup",
        method: "POST",
        request_id: "audit-check-2",
        tenant_id: "acme",
      },
    ]);
  });

  it("leaves /health and /ready open, asks a token for /health/detailed and /metrics, and serves no /docs by default", async () => {
    for (const url of ["/health", "/ready"]) expect((await t.app.inject({ method: "GET", url })).statusCode, url).toBe(200);
    for (const url of ["/metrics", "/health/detailed"]) {
      expect((await t.app.inject({ method: "GET", url })).statusCode, url).toBe(401);
      expect((await t.app.inject({ method: "GET", url, headers: bearer(FILE_TOKENS.readonly.token) })).statusCode, url).toBe(200);
    }
    for (const url of ["/docs", "/docs/json"]) expect((await t.app.inject({ method: "GET", url, headers: bearer(ADMIN_TOKEN) })).statusCode, url).toBe(404);
  });
});

describe("auth options", () => {
  it("opens /metrics and /health/detailed when M10_*_REQUIRE_AUTH=false, and /docs with M10_DOCS_ENABLED=true", async () => {
    const open = await startTestApp({ env: { M10_METRICS_REQUIRE_AUTH: "false", M10_HEALTH_DETAILED_REQUIRE_AUTH: "false", M10_DOCS_ENABLED: "true" } });
    try {
      for (const url of ["/metrics", "/health/detailed", "/docs/json"]) expect((await open.app.inject({ method: "GET", url })).statusCode, url).toBe(200);
    } finally {
      await open.close();
    }
  });

  it("grants RBAC_ANONYMOUS_PERMISSIONS, and only those, to requests without credentials", async () => {
    const open = await startTestApp({ env: { RBAC_ANONYMOUS_PERMISSIONS: "ingest:write" } });
    try {
      expect((await open.app.inject({ method: "POST", url: "/api/v1/recovery/ingest", payload: ingestBody() })).statusCode).toBe(202);
      expect((await open.app.inject({ method: "GET", url: "/api/v1/recovery/candidates" })).statusCode).toBe(401);
      const wrong = await open.app.inject({ method: "POST", url: "/api/v1/recovery/ingest", headers: bearer("wrong-token-000000000000000"), payload: ingestBody() });
      expect(wrong.statusCode).toBe(401);
    } finally {
      await open.close();
    }
  });

  it("allows everything when RBAC_ENFORCE=false", async () => {
    const open = await startTestApp({ env: { RBAC_ENFORCE: "false" } });
    try {
      expect((await open.app.inject({ method: "POST", url: "/api/v1/memory/pins/cleanup" })).statusCode).toBe(200);
      expect((await open.app.inject({ method: "GET", url: "/api/v1/recovery/stats" })).statusCode).toBe(200);
    } finally {
      await open.close();
    }
  });
});
