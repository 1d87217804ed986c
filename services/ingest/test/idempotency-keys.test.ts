// Several idempotency keys for one failure (the IETF Idempotency-Key draft): the same key gets the
// same answer and counts nothing; a different key on a known failure_match_id is a new occurrence,
// counted once per key, however often that key is retried, on the single and the batch route.
import { describe, expect, it } from "vitest";
import { bearer, ingestBody, MACHINE_TOKEN, useTestApp } from "./support/test-app.js";

const t = useTestApp({ env: { M10_DB_POOL_MAX: "20" } });
const auth = bearer(MACHINE_TOKEN);

const ingest = (payload: Record<string, unknown>, headers: Record<string, string> = {}) =>
  t.app.inject({ method: "POST", url: "/api/v1/recovery/ingest", headers: { ...auth, ...headers }, payload });
const batch = (items: Record<string, unknown>[]) => t.app.inject({ method: "POST", url: "/api/v1/recovery/ingest/batch", headers: auth, payload: { items } });

async function occurrences(failureMatchId: unknown): Promise<number> {
  const { rows } = await t.pool.query<{ n: number }>("SELECT occurrence_count AS n FROM recovery_candidates WHERE failure_match_id = $1", [failureMatchId]);
  return rows[0]?.n ?? 0;
}

describe("a second idempotency key on a known failure", () => {
  it("counts a new key once and answers its retries (body or header) as replays", async () => {
    const first = ingestBody({ idempotency_key: crypto.randomUUID() });
    const created = await ingest(first);
    expect(created.statusCode).toBe(202);
    const id = created.json().candidate_id;

    const second = crypto.randomUUID();
    const counted = await ingest({ ...first, idempotency_key: second });
    expect(counted.statusCode).toBe(200);
    expect(counted.json()).toMatchObject({ candidate_id: id, is_duplicate: true, message: "Updated occurrence count to 2" });
    expect(await occurrences(first.failure_match_id)).toBe(2);

    for (const retry of [ingest({ ...first, idempotency_key: second }), ingest({ ...first, idempotency_key: undefined }, { "idempotency-key": second.toUpperCase() })]) {
      const response = await retry;
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ candidate_id: id, is_duplicate: true, message: "Idempotency key matched existing candidate" });
    }
    // The first key is still a replay too.
    expect((await ingest(first)).json().message).toBe("Idempotency key matched existing candidate");
    expect(await occurrences(first.failure_match_id)).toBe(2);

    // Without a key every request is an occurrence.
    await ingest({ ...first, idempotency_key: undefined });
    expect(await occurrences(first.failure_match_id)).toBe(3);
  });

  it("still refuses with 422 a key that another failure holds, whether it was that failure's first key or a later one", async () => {
    const a = ingestBody({ idempotency_key: crypto.randomUUID() });
    await ingest(a);
    const later = crypto.randomUUID();
    await ingest({ ...a, idempotency_key: later });
    for (const key of [a.idempotency_key, later]) {
      const response = await ingest(ingestBody({ idempotency_key: key }));
      expect(response.statusCode).toBe(422);
      expect(response.json()).toMatchObject({ code: "idempotency_key_reused" });
    }
    expect(await occurrences(a.failure_match_id)).toBe(2);
  });

  it("counts each new key of a batch once, replays keys seen before, and a retried batch counts nothing", async () => {
    const known = ingestBody({ idempotency_key: crypto.randomUUID() });
    await ingest(known);
    const k2 = crypto.randomUUID();
    const k3 = crypto.randomUUID();
    const items = [
      { ...known, idempotency_key: k2 },
      { ...known, idempotency_key: k2 },
      { ...known, idempotency_key: k3 },
      known,
    ];
    const response = await batch(items);
    expect(response.statusCode).toBe(200);
    expect(response.json().results.map((r: { status: string; message: string }) => r.message)).toEqual([
      "Updated occurrence count to 2",
      "Idempotency key matched existing candidate",
      "Updated occurrence count to 3",
      "Idempotency key matched existing candidate",
    ]);
    expect(await occurrences(known.failure_match_id)).toBe(3);

    const retried = await batch(items);
    expect(retried.json()).toMatchObject({ accepted: 0, duplicates: 4, rejected: 0 });
    expect(await occurrences(known.failure_match_id)).toBe(3);
    // The single route knows the batch's keys.
    expect((await ingest({ ...known, idempotency_key: k3 })).json().message).toBe("Idempotency key matched existing candidate");
    expect(await occurrences(known.failure_match_id)).toBe(3);
  });

  it("replays a key that a candidate written without ingest (by hand) holds, and refuses it for another failure", async () => {
    const key = crypto.randomUUID();
    const failureMatchId = crypto.randomUUID();
    await t.pool.query(
      "INSERT INTO recovery_candidates (failure_match_id, suggestion, confidence, idempotency_key) VALUES ($1, 'by hand', 0.2, $2)",
      [failureMatchId, key],
    );
    const replay = await ingest(ingestBody({ failure_match_id: failureMatchId, idempotency_key: key }));
    expect(replay.statusCode).toBe(200);
    expect(replay.json().message).toBe("Idempotency key matched existing candidate");
    expect((await ingest(ingestBody({ idempotency_key: key }))).statusCode).toBe(422);
    const batchReplay = await batch([ingestBody({ failure_match_id: failureMatchId, idempotency_key: key })]);
    expect(batchReplay.json().results[0]).toMatchObject({ status: "duplicate", message: "Idempotency key matched existing candidate" });
    expect(await occurrences(failureMatchId)).toBe(1);
  });

  it("counts one occurrence for 20 concurrent requests carrying one new key for a known failure", async () => {
    const known = ingestBody({ idempotency_key: crypto.randomUUID() });
    await ingest(known);
    const key = crypto.randomUUID();
    const responses = await Promise.all(Array.from({ length: 20 }, () => ingest({ ...known, idempotency_key: key })));
    expect(responses.map((r) => r.statusCode)).toEqual(Array(20).fill(200));
    expect(new Set(responses.map((r) => r.json().candidate_id)).size).toBe(1);
    expect(await occurrences(known.failure_match_id)).toBe(2);
  });

  it("counts one occurrence per key for concurrent batches that share new keys", async () => {
    const known = ingestBody({ idempotency_key: crypto.randomUUID() });
    await ingest(known);
    const keys = Array.from({ length: 5 }, () => crypto.randomUUID());
    const items = keys.map((key) => ({ ...known, idempotency_key: key }));
    const responses = await Promise.all(Array.from({ length: 6 }, () => batch(items)));
    expect(responses.map((r) => r.statusCode)).toEqual(Array(6).fill(200));
    expect(await occurrences(known.failure_match_id)).toBe(1 + keys.length);
  });
});
