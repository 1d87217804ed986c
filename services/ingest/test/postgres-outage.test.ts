// Chaos: PostgreSQL stops and comes back; ingest answers 503 + Retry-After meanwhile and recovers by itself.
import { waitUntil } from "@m10/devstack/testing";
import { describe, expect, it } from "vitest";
import { bearer, ingestBody, MACHINE_TOKEN, useTestApp } from "./support/test-app.js";

const t = useTestApp({ privatePostgres: true, env: { M10_INGEST_RETRY_AFTER_SECONDS: "7" } });

const ingest = () => t.app.inject({ method: "POST", url: "/api/v1/recovery/ingest", headers: bearer(MACHINE_TOKEN), payload: ingestBody() });

describe("PostgreSQL outage", () => {
  it("answers 503 with Retry-After while PostgreSQL is down, never 500, and recovers by itself", async () => {
    expect((await ingest()).statusCode).toBe(202);

    await t.postgresServer.stop();
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

    await t.postgresServer.start();
    await waitUntil("ingest to accept again", async () => (await ingest()).statusCode === 202);
    const response = await ingest();
    expect(response.statusCode).toBe(202);
    const { rows } = await t.pool.query("SELECT count(*)::int AS n FROM recovery_candidates");
    expect(rows[0].n).toBeGreaterThanOrEqual(2);
    expect((await t.app.inject({ method: "GET", url: "/ready" })).statusCode).toBe(200);
  });

  it("answers 503 for a PostgreSQL crash (SIGKILL) too, and recovers", async () => {
    await t.postgresServer.kill();
    const response = await ingest();
    expect(response.statusCode).toBe(503);
    expect(response.headers["retry-after"]).toBeDefined();
    await t.postgresServer.start();
    await waitUntil("ingest to accept again", async () => (await ingest()).statusCode === 202);
  });
});
