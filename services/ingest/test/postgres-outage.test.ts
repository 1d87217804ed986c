// Chaos: PostgreSQL stops and comes back; ingest answers 503 + Retry-After meanwhile and recovers by itself.
import type { DevServer } from "@m10/devstack";
import { privateServer } from "@m10/devstack/testing";
import { migrateUp } from "@m10/migrations";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, ingestBody, MACHINE_TOKEN, startTestApp, waitUntil, type TestApp } from "./support/test-app.js";

let postgres: DevServer;
let t: TestApp;

beforeAll(async () => {
  postgres = await privateServer("postgres");
  await migrateUp(postgres.url);
  t = await startTestApp({ databaseUrl: postgres.url, env: { M10_INGEST_RETRY_AFTER_SECONDS: "7" } });
});
afterAll(async () => {
  await t?.close();
  await postgres?.stop();
});

const ingest = () => t.app.inject({ method: "POST", url: "/api/v1/recovery/ingest", headers: bearer(MACHINE_TOKEN), payload: ingestBody() });

describe("PostgreSQL outage", () => {
  it("answers 503 with Retry-After while PostgreSQL is down, never 500, and recovers by itself", async () => {
    expect((await ingest()).statusCode).toBe(202);

    await postgres.stop();
    for (let i = 0; i < 5; i++) {
      const response = await ingest();
      expect(response.statusCode).toBe(503);
      expect(response.headers["retry-after"]).toBe("7");
      expect(response.headers["content-type"]).toContain("application/problem+json");
      expect(response.json()).toMatchObject({ status: 503, code: "database_unavailable" });
    }
    const batch = await t.app.inject({ method: "POST", url: "/api/v1/recovery/ingest/batch", headers: bearer(MACHINE_TOKEN), payload: { items: [ingestBody()] } });
    expect(batch.statusCode).toBe(503);
    const list = await t.app.inject({ method: "GET", url: "/api/v1/recovery/candidates", headers: bearer(MACHINE_TOKEN) });
    expect(list.statusCode).toBe(503);
    const ready = await t.app.inject({ method: "GET", url: "/ready" });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ ready: false, status: "down" });

    await postgres.start();
    await waitUntil("ingest to accept again", async () => (await ingest()).statusCode === 202, 30_000);
    const response = await ingest();
    expect(response.statusCode).toBe(202);
    const { rows } = await t.pool.query("SELECT count(*)::int AS n FROM recovery_candidates");
    expect(rows[0].n).toBeGreaterThanOrEqual(2);
    expect((await t.app.inject({ method: "GET", url: "/ready" })).statusCode).toBe(200);
  });

  it("answers 503 for a PostgreSQL crash (SIGKILL) too, and recovers", async () => {
    await postgres.kill();
    const response = await ingest();
    expect(response.statusCode).toBe(503);
    expect(response.headers["retry-after"]).toBeDefined();
    await postgres.start();
    await waitUntil("ingest to accept again", async () => (await ingest()).statusCode === 202, 30_000);
  });
});
