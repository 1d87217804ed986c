// Per-tenant rate limits on a private Redis that the last test stops.
import { privateServer } from "@m10/devstack/testing";
import type { DevServer } from "@m10/devstack";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, FILE_TOKENS, ingestBody, metricValue, startTestApp, waitUntil, type TestApp } from "./support/test-app.js";

let redisServer: DevServer;
let t: TestApp;
const acme = bearer(FILE_TOKENS.acmeMachine.token);
const globex = bearer(FILE_TOKENS.globexMachine.token);

beforeAll(async () => {
  redisServer = await privateServer("redis");
  t = await startTestApp({ redisUrl: redisServer.url });
});
afterAll(async () => {
  await t?.close();
  await redisServer?.stop();
});

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
    expect(await metricValue(t.metrics, "m10_rate_limit_blocked_total", { route_group: "pins" })).toBe(2);
    expect(await t.redis!.get("m10:ratelimit:pins:tenant:acme")).toBe("102");
  });

  it("lets requests through (fail-open, logged and counted) while Redis is down", async () => {
    await redisServer.stop();
    await waitUntil("redis client to notice", () => t.redis!.status !== "ready");
    for (let i = 0; i < 20; i++) {
      const response = await listPins(acme);
      expect(response.statusCode).toBe(200);
    }
    expect(await metricValue(t.metrics, "m10_rate_limit_fail_open_total", { route_group: "pins" })).toBeGreaterThanOrEqual(20);
  });
});
