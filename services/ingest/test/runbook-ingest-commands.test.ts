// The Recovery Operations Runbook's "Ingest Endpoint Operations" (seeds/002), run with bash and
// curl against the built service: the commands are copied verbatim below; only the host and port
// (localhost:8000 → the test service's) are substituted.
import { execFileSync } from "node:child_process";
import pg from "pg";
import { startService, useTestDatabase, type RunningService } from "@m10/devstack/testing";
import { afterAll, describe, expect, it } from "vitest";
import { INGEST_BIN, MACHINE_TOKEN, serviceEnv } from "./support/test-app.js";

const TEST_INGEST_ENDPOINT = `# Basic ingest
curl -X POST http://localhost:8000/api/v1/recovery/ingest \\
  -H "Content-Type: application/json" \\
  -d '{
    "failure_match_id": "'$(uuidgen)'",
    "failure_payload": {
      "error_type": "TIMEOUT",
      "raw": "Connection timed out after 30s"
    },
    "source": "test"
  }'

# With idempotency key
IDEM_KEY=$(uuidgen)
curl -X POST http://localhost:8000/api/v1/recovery/ingest \\
  -H "Content-Type: application/json" \\
  -d '{
    "failure_match_id": "'$(uuidgen)'",
    "failure_payload": {"error_type": "TEST", "raw": "Test"},
    "idempotency_key": "'$IDEM_KEY'"
  }'`;

const SMOKE_INGEST_TEST = `curl -X POST http://localhost:8000/api/v1/recovery/ingest \\
  -H "Content-Type: application/json" \\
  -d '{"failure_match_id": "'$(uuidgen)'", "failure_payload": {"error_type": "SMOKE_TEST"}}'`;

// The runbook's "Pending evaluation backlog" compares the real column with 0.2 and never counts
// ingested rows (predecessor defect D2, docs/architecture.md §5.3); M10 marks the backlog with evaluated_at IS NULL.
const PENDING_BACKLOG_SQL = `SELECT COUNT(*) as pending
FROM recovery_candidates
WHERE decision = 'pending'
  AND evaluated_at IS NULL;`;

const RECENT_INGESTS_SQL = `SELECT id, error_code, confidence, created_at
FROM recovery_candidates
ORDER BY created_at DESC
LIMIT 10;`;

/** Runs a runbook block with bash against `url`; returns the JSON documents curl printed. */
function runBlock(block: string, url: string, extraEnv: Record<string, string> = {}): Record<string, unknown>[] {
  const script = block.replaceAll("http://localhost:8000", url);
  const stdout = execFileSync("bash", ["-euo", "pipefail", "-c", script], { encoding: "utf8", env: { ...process.env, ...extraEnv }, timeout: 30_000 });
  return stdout
    .split(/(?<=\})\s*(?=\{)/)
    .filter((part) => part.trim() !== "")
    .map((part) => JSON.parse(part) as Record<string, unknown>);
}

const db = useTestDatabase();
let service: RunningService;

// Each test stops the service it started; this is for a test that failed before it could.
afterAll(async () => {
  await service?.stop();
});

describe("runbook: Ingest Endpoint Operations", () => {
  it("the Test Ingest Endpoint and smoke commands work as written (RBAC_ANONYMOUS_PERMISSIONS=ingest:write)", async () => {
    service = await startService(INGEST_BIN, serviceEnv(db.url, { RBAC_ANONYMOUS_PERMISSIONS: "ingest:write" }));
    const [basic, withKey] = runBlock(TEST_INGEST_ENDPOINT, service.url);
    expect(basic).toMatchObject({ status: "accepted", is_duplicate: false, message: "Failure accepted for recovery evaluation", candidate_id: expect.any(Number) });
    expect(withKey).toMatchObject({ status: "accepted", is_duplicate: false });
    const [smoke] = runBlock(SMOKE_INGEST_TEST, service.url);
    expect(smoke).toMatchObject({ status: "accepted" });

    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const rows = (await client.query("SELECT id, error_code, source, idempotency_key FROM recovery_candidates ORDER BY id")).rows;
      expect(rows.map((r) => r.error_code)).toEqual(["TIMEOUT", "TEST", "SMOKE_TEST"]);
      expect(rows[0].source).toBe("test");
      expect(rows[1].idempotency_key).toMatch(/^[0-9a-f-]{36}$/);
      // "Monitor Ingest Queue": the backlog (M10's form of the query) and the recent ingests.
      expect(Number((await client.query(PENDING_BACKLOG_SQL)).rows[0].pending)).toBe(3);
      const recent = (await client.query(RECENT_INGESTS_SQL)).rows;
      expect(recent).toHaveLength(3);
      expect(recent.every((r) => r.confidence === 0.2)).toBe(true);
    } finally {
      await client.end();
    }
    await service.stop();
  });

  it("with RBAC enforced and no anonymous permission, the same commands get 401 and work with the machine token added", async () => {
    service = await startService(INGEST_BIN, serviceEnv(db.url));
    const [refused] = runBlock(SMOKE_INGEST_TEST, service.url);
    expect(refused).toMatchObject({ status: 401, code: "unauthenticated" });
    const withToken = SMOKE_INGEST_TEST.replace('-H "Content-Type: application/json"', '-H "Content-Type: application/json" -H "Authorization: Bearer $M10_MACHINE_TOKEN"');
    const [accepted] = runBlock(withToken, service.url, { M10_MACHINE_TOKEN: MACHINE_TOKEN });
    expect(accepted).toMatchObject({ status: "accepted" });
    const both = TEST_INGEST_ENDPOINT.replaceAll('-H "Content-Type: application/json"', '-H "Content-Type: application/json" -H "X-Machine-Token: $M10_MACHINE_TOKEN"');
    const answers = runBlock(both, service.url, { M10_MACHINE_TOKEN: MACHINE_TOKEN });
    expect(answers.map((a) => a.status)).toEqual(["accepted", "accepted"]);
    await service.stop();
  });
});
