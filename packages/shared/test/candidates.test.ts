// db/candidates.ts against real PostgreSQL: the ingest upsert under contention (schema decision 5,
// docs/architecture.md §4.1), idempotency keys, the batch upsert and the decision / outcome statements.
import { describe, expect, it } from "vitest";
import {
  recordDecision,
  recordExecutionOutcome,
  upsertIngestedCandidate,
  upsertIngestedCandidates,
  type IngestedCandidate,
} from "../src/db/candidates.js";
import { useTestEnvironment } from "./support/environment.js";

const t = useTestEnvironment({ poolMax: 110 });

const candidate = (overrides: Partial<IngestedCandidate> = {}): IngestedCandidate => ({
  failureMatchId: crypto.randomUUID(),
  errorCode: "TIMEOUT",
  errorSignature: "0123456789abcdef",
  suggestion: "retry",
  confidence: 0.2,
  explain: { method: "pending_evaluation" },
  source: "test",
  idempotencyKey: null,
  tenantId: "default",
  ...overrides,
});

describe("upsertIngestedCandidate", () => {
  it("turns 100 concurrent upserts of one failure into one insert and 99 updates (occurrence_count 100)", async () => {
    const input = candidate();
    const clients = await Promise.all(Array.from({ length: 100 }, () => t.pool.connect()));
    try {
      const results = await Promise.all(clients.map((client) => upsertIngestedCandidate(client, input)));
      expect(results.filter((r) => r.kind === "inserted")).toHaveLength(1);
      expect(results.filter((r) => r.kind === "updated")).toHaveLength(99);
      expect(new Set(results.map((r) => r.id)).size).toBe(1);
    } finally {
      for (const client of clients) client.release();
    }
    const { rows } = await t.pool.query("SELECT occurrence_count FROM recovery_candidates WHERE failure_match_id = $1", [input.failureMatchId]);
    expect(rows).toEqual([{ occurrence_count: 100 }]);
  });

  it("reports the holder of a known key without changing anything, whatever failure it is sent with", async () => {
    const key = crypto.randomUUID();
    const first = await upsertIngestedCandidate(t.pool, candidate({ idempotencyKey: key }));
    expect(first.kind).toBe("inserted");
    const other = await upsertIngestedCandidate(t.pool, candidate({ idempotencyKey: key }));
    expect(other).toMatchObject({ kind: "key_exists", id: first.id, failureMatchId: first.failureMatchId, occurrenceCount: 1 });
  });

  it("lets a keyless candidate adopt the key of its next occurrence, so that request's retries are replays", async () => {
    const base = candidate();
    await upsertIngestedCandidate(t.pool, base);
    const key = crypto.randomUUID();
    const second = await upsertIngestedCandidate(t.pool, { ...base, idempotencyKey: key });
    expect(second).toMatchObject({ kind: "updated", occurrenceCount: 2 });
    const retry = await upsertIngestedCandidate(t.pool, { ...base, idempotencyKey: key });
    expect(retry).toMatchObject({ kind: "key_exists", occurrenceCount: 2 });
  });
});

describe("upsertIngestedCandidates", () => {
  it("inserts new failures and adds each group's occurrences to known ones in one statement", async () => {
    const known = candidate();
    await upsertIngestedCandidate(t.pool, known);
    const fresh = candidate();
    const results = await upsertIngestedCandidates(t.pool, [
      { ...known, occurrences: 3, idempotencyKeys: [] },
      { ...fresh, occurrences: 2, idempotencyKeys: [] },
    ]);
    expect(results.get(known.failureMatchId)).toMatchObject({ inserted: false, occurrenceCount: 4 });
    expect(results.get(fresh.failureMatchId)).toMatchObject({ inserted: true, occurrenceCount: 2 });
  });
});

describe("decisions and outcomes", () => {
  it("return undefined for a candidate that does not exist and write nothing", async () => {
    expect(await recordDecision(t.pool, { candidateId: 987654, tenantId: "default", decision: "approved", decidedBy: "x", note: "", actorType: "human" })).toBeUndefined();
    expect(await recordExecutionOutcome(t.pool, { candidateId: 987654, tenantId: "default", executionStatus: "failed", actor: "x", actorType: "agent" })).toBeUndefined();
    const { rows } = await t.pool.query("SELECT count(*)::int AS n FROM recovery_candidates_audit WHERE candidate_id = 987654");
    expect(rows[0].n).toBe(0);
  });

  it("keep the action success rate current through the outcome trigger", async () => {
    const { id } = await upsertIngestedCandidate(t.pool, candidate());
    await recordExecutionOutcome(t.pool, { candidateId: id, tenantId: "default", selectedActionId: 2, executionStatus: "succeeded", actor: "agent-1", actorType: "agent" });
    const { rows } = await t.pool.query("SELECT total_applications, successful_applications FROM m10_recovery.suggestion_action WHERE id = 2");
    expect(rows[0]).toEqual({ total_applications: 1, successful_applications: 1 });
  });
});
