// Concurrent single upserts share one statement (issue 16) and keep the single upsert's answers,
// on a real PostgreSQL (the pool is the test app's; the wrapper only counts statements).
import { type IngestedCandidate, OtherTenantsFailureError, type Queryable } from "@m10/shared";
import { describe, expect, it } from "vitest";
import { candidateFor } from "../src/ingest/failure-record.js";
import { UpsertCoalescer } from "../src/ingest/upsert-coalescer.js";
import type { IngestBody } from "../src/schemas/ingest.js";
import { ingestBody, useTestApp } from "./support/test-app.js";

const t = useTestApp();

/** The test app's pool, counting the statements that reach it by name (unnamed ones as "unnamed"). */
function countingPool(): { db: Queryable; statements: Map<string, number> } {
  const statements = new Map<string, number>();
  const db = {
    query: (config: unknown, values?: unknown) => {
      const name = typeof config === "object" && config !== null && "name" in config ? String(config.name) : "unnamed";
      statements.set(name, (statements.get(name) ?? 0) + 1);
      return (t.pool.query as (c: unknown, v?: unknown) => Promise<unknown>)(config, values);
    },
  } as unknown as Queryable;
  return { db, statements };
}

const candidate = (overrides: Record<string, unknown> = {}, tenant = "default", key: string | null = null): IngestedCandidate =>
  candidateFor(ingestBody(overrides) as unknown as IngestBody, key, new Date(), tenant);

describe("the single-ingest upsert coalescer", () => {
  it("writes 40 concurrent new failures in one statement, each answered with its own row", async () => {
    const { db, statements } = countingPool();
    const coalescer = new UpsertCoalescer(db);
    const inputs = Array.from({ length: 40 }, () => candidate());
    const results = await Promise.all(inputs.map((input) => coalescer.upsert(input)));
    expect(statements).toEqual(new Map([["m10_ingest_upsert_distinct", 1]]));
    expect(results.map((r) => r.kind)).toEqual(inputs.map(() => "inserted"));
    expect(results.map((r) => r.failureMatchId)).toEqual(inputs.map((input) => input.failureMatchId));
    const { rows } = await t.pool.query<{ id: number; failure_match_id: string }>(
      "SELECT id, failure_match_id::text AS failure_match_id FROM recovery_candidates WHERE failure_match_id = ANY($1::uuid[])",
      [inputs.map((input) => input.failureMatchId)],
    );
    expect(new Map(rows.map((row) => [row.failure_match_id, row.id]))).toEqual(new Map(results.map((r) => [r.failureMatchId, r.id])));
  });

  it("counts repeats and matches replayed keys within one round exactly as one upsert at a time would", async () => {
    const { db, statements } = countingPool();
    const coalescer = new UpsertCoalescer(db);
    const repeated = candidate();
    const key = crypto.randomUUID();
    const keyed = candidate({}, "default", key);
    const otherFailureSameKey = candidate({}, "default", key);
    const round = [repeated, repeated, keyed, repeated, keyed, otherFailureSameKey, candidate()];
    const results = await Promise.all(round.map((input) => coalescer.upsert(input)));
    expect(statements.get("m10_ingest_upsert_distinct")).toBe(1);
    // The first of each failure is inserted by the shared statement, the rest follow one by one.
    expect(results.map((r) => r.kind)).toEqual(["inserted", "updated", "inserted", "updated", "key_exists", "key_exists", "inserted"]);
    expect([results[1], results[3]].map((r) => r?.occurrenceCount).sort()).toEqual([2, 3]);
    expect(results[4]).toMatchObject({ id: results[2]?.id, failureMatchId: keyed.failureMatchId });
    // The key belongs to another failure: the service answers 422 for this one.
    expect(results[5]).toMatchObject({ id: results[2]?.id, failureMatchId: keyed.failureMatchId });
    const { rows } = await t.pool.query("SELECT occurrence_count FROM recovery_candidates WHERE failure_match_id = $1", [repeated.failureMatchId]);
    expect(rows).toEqual([{ occurrence_count: 3 }]);
  });

  it("leaves another tenant's failure alone and fails only that caller", async () => {
    const coalescer = new UpsertCoalescer(t.pool);
    const theirs = candidate({}, "tenant-a");
    await coalescer.upsert(theirs);
    const mine = { ...theirs, tenantId: "tenant-b" };
    const [clash, fresh] = await Promise.allSettled([coalescer.upsert(mine), coalescer.upsert(candidate({}, "tenant-b"))]);
    expect(clash.status === "rejected" && clash.reason).toBeInstanceOf(OtherTenantsFailureError);
    expect(fresh).toMatchObject({ status: "fulfilled", value: { kind: "inserted" } });
    const { rows } = await t.pool.query("SELECT tenant_id, occurrence_count FROM recovery_candidates WHERE failure_match_id = $1", [theirs.failureMatchId]);
    expect(rows).toEqual([{ tenant_id: "tenant-a", occurrence_count: 1 }]);
  });
});
