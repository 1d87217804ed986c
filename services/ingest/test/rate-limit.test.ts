// Per-tenant rate limits on a private Redis that the last test stops.
import { waitUntil } from "@m10/devstack/testing";
import { describe, expect, it } from "vitest";
import { bearer, FILE_TOKENS, ingestBody, useTestApp } from "./support/test-app.js";

const t = useTestApp({ privateRedis: true });
const acme = bearer(FILE_TOKENS.acmeMachine.token);
const globex = bearer(FILE_TOKENS.globexMachine.token);

const listPins = (headers: Record<string, string>) => t.app.inject({ method: "GET", url: "/api/v1/memory/pins", headers });

describe("per-tenant rate limits", () => {
  it("refuses the 101st pins request in a minute from one tenant with 429 and Retry-After, leaving other tenants alone", async () => {
    expect(t.config.M10_RATE_LIMIT_PINS_MAX).toBe(100);
    for (let i = 1; i <= 100; i++) {
      const response = await listPins(acme);
      expect(response.statusCode, `request ${i}`).toBe(200);
      expect(response.headers["x-ratelimit-limit"]).toBe("100");
      expect(response.headers["x-ratelimit-remaining"]).toBe(String(100 - i));
    }
    const refused = await listPins(acme);
    expect(refused.statusCode).toBe(429);
    expect(refused.headers["content-type"]).toContain("application/problem+json");
    expect(refused.json()).toMatchObject({ status: 429, code: "rate_limited" });
    expect(Number(refused.headers["retry-after"])).toBeGreaterThan(0);
    expect(Number(refused.headers["retry-after"])).toBeLessThanOrEqual(60);
    expect(refused.headers["x-ratelimit-limit"]).toBe("100");
    expect(refused.headers["x-ratelimit-remaining"]).toBe("0");
    expect(refused.headers["x-ratelimit-reset"]).toBeDefined();

    // Writes to pins share the tenant's budget; other route groups and tenants have their own.
    expect((await t.app.inject({ method: "POST", url: "/api/v1/memory/pins", headers: acme, payload: { key: "k", value: {} } })).statusCode).toBe(429);
    expect((await listPins(globex)).statusCode).toBe(200);
    expect((await t.app.inject({ method: "POST", url: "/api/v1/recovery/ingest", headers: acme, payload: ingestBody() })).statusCode).toBe(202);
    expect(await t.metric("m10_rate_limit_blocked_total", { route_group: "pins" })).toBe(2);
    expect(await t.redis!.get("m10:ratelimit:pins:tenant:acme")).toBe("102");
  });

  it("lets requests through (fail-open, logged and counted) while Redis is down", async () => {
    await t.redisServer.stop();
    await waitUntil("redis client to notice", () => t.redis!.status !== "ready");
    for (let i = 0; i < 20; i++) {
      const response = await listPins(acme);
      expect(response.statusCode).toBe(200);
    }
    expect(await t.metric("m10_rate_limit_fail_open_total", { route_group: "pins" })).toBeGreaterThanOrEqual(20);
  });
});
