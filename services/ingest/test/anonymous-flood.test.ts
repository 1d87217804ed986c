// Audit amplification (issue 11 item 13): callers without a valid token have a small budget of
// their own per client IP, refused with 429 before any database work; audit records are batched
// off the request path, so a flood of them cannot take the pool from authenticated ingest; and
// X-Forwarded-For only counts when a trusted proxy sent it.
import { describe, expect, it } from "vitest";
import { bearer, ingestBody, startTestApp, TENANT_TOKENS, useTestApp } from "./support/test-app.js";

const ANONYMOUS_MAX = 20;
const t = useTestApp({ privateRedis: true, env: { M10_RATE_LIMIT_ANONYMOUS_MAX: String(ANONYMOUS_MAX), M10_DB_POOL_MAX: "2" } });

/** A client address of its own per test, so budgets never mix. */
const clientAddress = () => `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}`;

describe("unauthenticated flood", () => {
  it("is answered 429 past its small budget without waiting for the pool, while authenticated ingest keeps working", async () => {
    const remoteAddress = clientAddress();
    const flood = (n: number) =>
      Array.from({ length: n }, (_, i) =>
        t.app.inject({
          method: "POST",
          url: "/api/v1/recovery/ingest",
          remoteAddress,
          headers: i % 2 ? { authorization: `Bearer wrong-token-${i}-0123456789abcdefghij` } : {},
          payload: ingestBody(),
        }),
      );
    let mostWaiting = 0;
    const sampler = setInterval(() => {
      mostWaiting = Math.max(mostWaiting, t.pool.waitingCount);
    }, 1);
    let first;
    try {
      first = await Promise.all(flood(400));
    } finally {
      clearInterval(sampler);
    }
    // The denials' audit records wait in the buffer, never for one of the pool's 2 connections.
    expect(mostWaiting).toBe(0);
    const statuses = first.map((r) => r.statusCode);
    expect(statuses.filter((s) => s === 401)).toHaveLength(ANONYMOUS_MAX);
    expect(statuses.filter((s) => s === 429)).toHaveLength(400 - ANONYMOUS_MAX);
    expect(first.find((r) => r.statusCode === 429)?.json()).toMatchObject({ code: "rate_limited" });
    expect(await t.metric("m10_rate_limit_blocked_total", { route_group: "anonymous" })).toBe(400 - ANONYMOUS_MAX);

    // More of the flood, with authenticated ingest at the same time: it is served.
    const authenticated = Array.from({ length: 10 }, () =>
      t.app.inject({ method: "POST", url: "/api/v1/recovery/ingest", headers: bearer(TENANT_TOKENS.a.machine.token), payload: ingestBody() }),
    );
    const [more, served] = await Promise.all([Promise.all(flood(400)), Promise.all(authenticated)]);
    expect(served.map((r) => r.statusCode)).toEqual(Array(10).fill(202));
    expect(more.every((r) => r.statusCode === 429)).toBe(true);
  });

  it("counts audit records dropped when the buffer is full, and still answers at once", async () => {
    const small = await startTestApp({ redisUrl: t.redisServer.url, env: { M10_RBAC_AUDIT_BUFFER_MAX: "5", M10_RBAC_AUDIT_FLUSH_MS: "60000" } });
    try {
      const remoteAddress = clientAddress();
      for (let i = 0; i < 12; i++) {
        const response = await small.app.inject({ method: "GET", url: "/api/v1/recovery/stats", remoteAddress });
        expect(response.statusCode).toBe(401);
      }
      expect(await small.metric("m10_rbac_audit_dropped_total", { cause: "buffer_full" })).toBe(7);
    } finally {
      await small.close();
    }
  });
});

describe("X-Forwarded-For", () => {
  /** Spends the anonymous budget from `remoteAddress`, each request claiming another client; true when the last one is refused. */
  async function sharesOneBudget(app: Awaited<ReturnType<typeof startTestApp>>, remoteAddress: string, forwarded: (i: number) => string): Promise<boolean> {
    let last = 0;
    for (let i = 0; i <= ANONYMOUS_MAX; i++) {
      last = (await app.app.inject({ method: "GET", url: "/api/v1/recovery/stats", remoteAddress, headers: { "x-forwarded-for": forwarded(i) } })).statusCode;
    }
    return last === 429;
  }

  it("is ignored without M10_TRUST_PROXY: a spoofed header does not change the rate-limit key", async () => {
    expect(await sharesOneBudget(t, clientAddress(), (i) => `203.0.113.${i}`)).toBe(true);
  });

  it("counts only the hops M10_TRUST_PROXY trusts, never the client's leftmost entry", async () => {
    const oneHop = await startTestApp({ redisUrl: t.redisServer.url, env: { M10_TRUST_PROXY: "1", M10_RATE_LIMIT_ANONYMOUS_MAX: String(ANONYMOUS_MAX) } });
    try {
      // The client prepends a new fake address each time; the proxy appends the real one.
      const real = clientAddress();
      expect(await sharesOneBudget(oneHop, clientAddress(), (i) => `198.51.100.${i}, ${real}`)).toBe(true);
      // Another real client behind the same proxy has its own budget.
      const other = await oneHop.app.inject({ method: "GET", url: "/api/v1/recovery/stats", remoteAddress: clientAddress(), headers: { "x-forwarded-for": clientAddress() } });
      expect(other.statusCode).toBe(401);
    } finally {
      await oneHop.close();
    }
  });

  it("believes only the listed proxy addresses", async () => {
    const proxy = clientAddress();
    const listed = await startTestApp({ redisUrl: t.redisServer.url, env: { M10_TRUST_PROXY: proxy, M10_RATE_LIMIT_ANONYMOUS_MAX: String(ANONYMOUS_MAX) } });
    try {
      // From the listed proxy, each forwarded client has its own budget.
      expect(await sharesOneBudget(listed, proxy, () => clientAddress())).toBe(false);
      // From anywhere else, the header is ignored.
      expect(await sharesOneBudget(listed, clientAddress(), () => clientAddress())).toBe(true);
    } finally {
      await listed.close();
    }
  });
});
