// The built m10-ingest as a real process: it listens on PORT, serves operations endpoints and
// shuts down gracefully (stops accepting, finishes in-flight requests, exits 0).
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { startService, useTestDatabase, waitUntil } from "@m10/devstack/testing";
import { describe, expect, it } from "vitest";
import { bearer, INGEST_BIN, ingestBody, MACHINE_TOKEN, serviceEnv } from "./support/test-app.js";

const db = useTestDatabase();

/** Holds the candidate's row lock (an open transaction) so the next ingest of the same failure waits inside its upsert. */
async function holdCandidateRow(failureMatchId: string): Promise<pg.Client> {
  const blocker = new pg.Client({ connectionString: db.url });
  await blocker.connect();
  await blocker.query("BEGIN");
  await blocker.query("SELECT id FROM recovery_candidates WHERE failure_match_id = $1 FOR UPDATE", [failureMatchId]);
  return blocker;
}

/** Backends of this database waiting for a lock: the ingest's upsert stuck behind the test's row lock. */
const waitingOnLock = async (client: pg.Client) =>
  (await client.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")).rows[0]?.n ?? 0;

const ingestRequest = (url: string, body: unknown) =>
  fetch(`${url}/api/v1/recovery/ingest`, { method: "POST", headers: { "content-type": "application/json", ...bearer(MACHINE_TOKEN) }, body: JSON.stringify(body) });

describe("m10-ingest process", () => {
  it("serves /health, /ready, /metrics and the OpenAPI document, and exits 0 on SIGTERM", async () => {
    const service = await startService(INGEST_BIN, serviceEnv(db.url, { M10_DOCS_ENABLED: "true" }));
    try {
      const health = await fetch(`${service.url}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: "ok", service: "ingest" });
      expect(health.headers.get("x-request-id")).toBeTruthy();

      const ready = await fetch(`${service.url}/ready`);
      expect(await ready.json()).toMatchObject({ ready: true, status: "ok" });

      expect((await ingestRequest(service.url, ingestBody())).status).toBe(202);
      const metrics = await (await fetch(`${service.url}/metrics`, { headers: bearer(MACHINE_TOKEN) })).text();
      for (const name of ["recovery_ingest_total", "recovery_ingest_latency_seconds", "recovery_ingest_duplicates_total", "recovery_ingest_enqueue_total", "recovery_approvals_total", "memory_pins_operations_total", "process_cpu_seconds_total"]) {
        expect(metrics, name).toContain(name);
      }
      expect(metrics).toMatch(/recovery_ingest_total\{status="accepted",source="test"\} 1/);
      // The Phase 7 runbook's JSON view of the same counters, behind the same token.
      expect((await fetch(`${service.url}/monitoring/metrics`)).status).toBe(401);
      expect(await (await fetch(`${service.url}/monitoring/metrics`, { headers: bearer(MACHINE_TOKEN) })).json()).toMatchObject({
        service: "ingest",
        events_ingested_total: { accepted: 1 },
        evaluation_enqueue_total: { success: 1 },
        success_rate: 100,
      });

      const openapi = (await (await fetch(`${service.url}/docs/json`)).json()) as { openapi: string; paths: Record<string, unknown> };
      expect(openapi.openapi).toMatch(/^3\./);
      expect(Object.keys(openapi.paths)).toEqual(expect.arrayContaining(["/api/v1/recovery/ingest", "/api/v1/recovery/ingest/batch", "/api/v1/memory/pins/{key}"]));
      expect((await fetch(`${service.url}/docs`, { redirect: "manual" })).status).toBeLessThan(400);

      const echoed = await fetch(`${service.url}/health`, { headers: { "x-request-id": "trace-123" } });
      expect(echoed.headers.get("x-request-id")).toBe("trace-123");
    } finally {
      expect(await service.stop("SIGTERM")).toBe(0);
    }
  });

  it("finishes an in-flight request after SIGTERM while refusing new ones, then exits 0", async () => {
    const service = await startService(INGEST_BIN, serviceEnv(db.url));
    const body = ingestBody();
    expect((await ingestRequest(service.url, body)).status).toBe(202);
    const blocker = await holdCandidateRow(String(body.failure_match_id));
    try {
      const inFlight = ingestRequest(service.url, body);
      await waitUntil("the second ingest waiting on the row lock", async () => (await waitingOnLock(blocker)) > 0, { intervalMs: 20 });
      service.child.kill("SIGTERM");
      // A fixed delay on purpose: time in which a process that did not wait for the request would exit.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(service.child.exitCode).toBeNull();
      const refused = await fetch(`${service.url}/health`).then(
        (response) => response.status,
        () => "refused",
      );
      expect([503, "refused"]).toContain(refused);
      await blocker.query("COMMIT");
      const finished = await inFlight;
      expect(finished.status).toBe(200);
      expect(await finished.json()).toMatchObject({ is_duplicate: true, message: "Updated occurrence count to 2" });
      expect(await service.exited).toBe(0);
      expect(service.output()).toContain("shutdown.complete");
    } finally {
      await blocker.end();
      await service.stop("SIGKILL");
    }
  });

  it("lets a handler whose client hung up finish its work before closing the pool", async () => {
    const service = await startService(INGEST_BIN, serviceEnv(db.url));
    const body = ingestBody();
    expect((await ingestRequest(service.url, body)).status).toBe(202);
    const blocker = await holdCandidateRow(String(body.failure_match_id));
    try {
      const abandoned = new AbortController();
      const hungUp = fetch(`${service.url}/api/v1/recovery/ingest`, {
        method: "POST",
        headers: { "content-type": "application/json", ...bearer(MACHINE_TOKEN) },
        body: JSON.stringify(body),
        signal: abandoned.signal,
      }).catch(() => "aborted");
      await waitUntil("the handler waiting on the row lock", async () => (await waitingOnLock(blocker)) > 0, { intervalMs: 20 });
      abandoned.abort();
      expect(await hungUp).toBe("aborted");
      service.child.kill("SIGTERM");
      // A fixed delay on purpose: time in which a process that did not wait for the handler would exit.
      await new Promise((resolve) => setTimeout(resolve, 300));
      // No connection is open any more, yet the process waits for the handler.
      expect(service.child.exitCode).toBeNull();
      await blocker.query("COMMIT");
      expect(await service.exited).toBe(0);
      const { rows } = await blocker.query("SELECT occurrence_count FROM recovery_candidates WHERE failure_match_id = $1", [body.failure_match_id]);
      expect(rows[0].occurrence_count).toBe(2);
      expect(service.output()).not.toContain("Cannot use a pool after calling end");
    } finally {
      await blocker.end();
      await service.stop("SIGKILL");
    }
  });

  it("exits 2 listing every problem when the configuration is invalid", () => {
    const bin = fileURLToPath(new URL("../bin/m10-ingest.js", import.meta.url));
    const result = spawnSync(process.execPath, [bin], {
      env: { ...process.env, ...serviceEnv(db.url), RBAC_ENFORCE: "maybe", M10_INGEST_MAX_BODY_BYTES: "0" },
      encoding: "utf8",
      timeout: 20_000,
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("RBAC_ENFORCE");
    expect(result.stderr).toContain("M10_INGEST_MAX_BODY_BYTES");
  });

  it("prints the flags and every environment variable with --help", () => {
    const bin = fileURLToPath(new URL("../bin/m10-ingest.js", import.meta.url));
    const result = spawnSync(process.execPath, [bin, "--help"], { encoding: "utf8", timeout: 20_000 });
    expect(result.status).toBe(0);
    for (const text of ["--port", "DATABASE_URL", "RBAC_ENFORCE", "M10_RATE_LIMIT_PINS_MAX", "M10_INGEST_MAX_BODY_BYTES", "Examples:"]) {
      expect(result.stdout).toContain(text);
    }
  });
});
