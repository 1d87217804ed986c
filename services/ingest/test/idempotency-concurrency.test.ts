// Idempotency under concurrency, over real HTTP (the app listening on a free port).
import { beforeAll, describe, expect, it } from "vitest";
import { bearer, ingestBody, MACHINE_TOKEN, useTestApp } from "./support/test-app.js";

const t = useTestApp({ env: { M10_DB_POOL_MAX: "20" } });
let url: string;

beforeAll(async () => {
  url = await t.app.listen({ port: 0, host: "127.0.0.1" });
});

const post = (body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${url}/api/v1/recovery/ingest`, {
    method: "POST",
    headers: { "content-type": "application/json", ...bearer(MACHINE_TOKEN), ...headers },
    body: JSON.stringify(body),
  });

describe("idempotent ingest under concurrency", () => {
  it("turns 50 concurrent identical requests with one key into one candidate", async () => {
    const body = ingestBody({ idempotency_key: crypto.randomUUID() });
    const responses = await Promise.all(Array.from({ length: 50 }, () => post(body)));
    const statuses = responses.map((r) => r.status);
    const bodies = await Promise.all(responses.map((r) => r.json() as Promise<{ candidate_id: number; is_duplicate: boolean }>));
    expect(statuses.filter((s) => s === 202)).toHaveLength(1);
    expect(statuses.filter((s) => s === 200)).toHaveLength(49);
    expect(new Set(bodies.map((b) => b.candidate_id)).size).toBe(1);
    const { rows } = await t.pool.query("SELECT count(*)::int AS n, max(occurrence_count) AS occurrences FROM recovery_candidates WHERE failure_match_id = $1", [
      body.failure_match_id,
    ]);
    expect(rows[0]).toEqual({ n: 1, occurrences: 1 });
    const entries = await t.redis!.xrange(t.config.M10_STREAM_KEY, "-", "+");
    expect(entries.filter(([, fields]) => fields[1] === String(bodies[0]!.candidate_id))).toHaveLength(1);
  });

  it("turns 50 concurrent requests with one Idempotency-Key header into one candidate", async () => {
    const key = crypto.randomUUID();
    const body = ingestBody();
    const responses = await Promise.all(Array.from({ length: 50 }, () => post(body, { "Idempotency-Key": key })));
    expect(responses.filter((r) => r.status === 202)).toHaveLength(1);
    const { rows } = await t.pool.query("SELECT count(*)::int AS n FROM recovery_candidates WHERE idempotency_key = $1", [key]);
    expect(rows[0].n).toBe(1);
  });

  it("counts the same failure_match_id sent 20 times without a key as one row with occurrence_count 20", async () => {
    const body = ingestBody();
    const responses = await Promise.all(Array.from({ length: 20 }, () => post(body)));
    expect(responses.filter((r) => r.status === 202)).toHaveLength(1);
    expect(responses.filter((r) => r.status === 200)).toHaveLength(19);
    const { rows } = await t.pool.query("SELECT count(*)::int AS n, max(occurrence_count) AS occurrences FROM recovery_candidates WHERE failure_match_id = $1", [
      body.failure_match_id,
    ]);
    expect(rows[0]).toEqual({ n: 1, occurrences: 20 });
  });

  it("gives a key raced by two different failures to one of them and a 422 to the other", async () => {
    const key = crypto.randomUUID();
    const responses = await Promise.all([post(ingestBody({ idempotency_key: key })), post(ingestBody({ idempotency_key: key }))]);
    expect(responses.map((r) => r.status).sort()).toEqual([202, 422]);
  });
});
