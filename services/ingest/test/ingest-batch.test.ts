import { describe, expect, it } from "vitest";
import { bearer, ingestBody, MACHINE_TOKEN, useTestApp } from "./support/test-app.js";

const t = useTestApp();

const batch = (items: unknown[]) =>
  t.app.inject({ method: "POST", url: "/api/v1/recovery/ingest/batch", headers: bearer(MACHINE_TOKEN), payload: { items } });

describe("POST /api/v1/recovery/ingest/batch", () => {
  it("answers per item in request order: new failures accepted, repeats counted as duplicates", async () => {
    const known = ingestBody();
    await t.app.inject({ method: "POST", url: "/api/v1/recovery/ingest", headers: bearer(MACHINE_TOKEN), payload: known });
    const fresh = ingestBody();
    const response = await batch([fresh, known, fresh, ingestBody()]);
    expect(response.statusCode).toBe(202);
    const json = response.json();
    expect(json).toMatchObject({ accepted: 2, duplicates: 2, rejected: 0 });
    expect(json.results.map((r: { index: number; status: string }) => [r.index, r.status])).toEqual([
      [0, "accepted"],
      [1, "duplicate"],
      [2, "duplicate"],
      [3, "accepted"],
    ]);
    expect(json.results[1].message).toBe("Updated occurrence count to 2");
    expect(json.results[2]).toMatchObject({ candidate_id: json.results[0].candidate_id, message: "Updated occurrence count to 2", is_duplicate: true });
    const { rows } = await t.pool.query("SELECT failure_match_id::text AS f, occurrence_count FROM recovery_candidates WHERE failure_match_id = ANY($1::uuid[])", [
      [fresh.failure_match_id, known.failure_match_id],
    ]);
    expect(Object.fromEntries(rows.map((r) => [r.f, r.occurrence_count]))).toEqual({ [fresh.failure_match_id as string]: 2, [known.failure_match_id as string]: 2 });
  });

  it("queues only the new candidates for evaluation", async () => {
    const before = await t.redis!.xlen(t.config.M10_STREAM_KEY);
    const a = ingestBody();
    const response = await batch([a, a, ingestBody(), ingestBody({ enqueue_evaluation: false })]);
    expect(response.json().accepted).toBe(3);
    expect(await t.redis!.xlen(t.config.M10_STREAM_KEY)).toBe(before + 2);
  });

  it("replays a known idempotency key and rejects a key reused for another failure, item by item", async () => {
    const key = crypto.randomUUID();
    const first = ingestBody({ idempotency_key: key });
    const single = await t.app.inject({ method: "POST", url: "/api/v1/recovery/ingest", headers: bearer(MACHINE_TOKEN), payload: first });
    const inBatchKey = crypto.randomUUID();
    const response = await batch([
      first,
      ingestBody({ idempotency_key: key }),
      ingestBody({ idempotency_key: inBatchKey, failure_match_id: "0b9e5a1c-9f7e-4d6b-8a52-3c1d2e4f5a6b" }),
      ingestBody({ idempotency_key: inBatchKey }),
    ]);
    expect(response.statusCode).toBe(202);
    const results = response.json().results;
    expect(results[0]).toMatchObject({ status: "duplicate", candidate_id: single.json().candidate_id, message: "Idempotency key matched existing candidate" });
    expect(results[1]).toMatchObject({ status: "rejected", code: "idempotency_key_reused", candidate_id: null });
    expect(results[2]).toMatchObject({ status: "accepted" });
    expect(results[3]).toMatchObject({ status: "rejected", code: "idempotency_key_reused" });
    const { rows } = await t.pool.query("SELECT occurrence_count FROM recovery_candidates WHERE id = $1", [single.json().candidate_id]);
    expect(rows[0].occurrence_count).toBe(1);
  });

  it("answers 200 when nothing in the batch was new", async () => {
    const a = ingestBody();
    await batch([a]);
    const again = await batch([a]);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ accepted: 0, duplicates: 1 });
  });

  it("takes 500 items in one request and refuses 501 with a 400 naming items", async () => {
    const items = Array.from({ length: 500 }, () => ingestBody());
    const response = await batch(items);
    expect(response.statusCode).toBe(202);
    expect(response.json().accepted).toBe(500);
    expect(response.json().results).toHaveLength(500);
    const { rows } = await t.pool.query("SELECT count(*)::int AS n FROM recovery_candidates WHERE failure_match_id = ANY($1::uuid[])", [
      items.map((i) => i.failure_match_id),
    ]);
    expect(rows[0].n).toBe(500);

    const tooMany = await batch(Array.from({ length: 501 }, () => ingestBody()));
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.json()).toMatchObject({ code: "validation_failed", field: "items" });
  });

  it("answers 400 naming the item and field of an invalid item, and storing nothing", async () => {
    const good = ingestBody();
    const response = await batch([good, ingestBody({ failure_match_id: "nope" })]);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ field: "items.1.failure_match_id" });
    const { rows } = await t.pool.query("SELECT count(*)::int AS n FROM recovery_candidates WHERE failure_match_id = $1", [good.failure_match_id]);
    expect(rows[0].n).toBe(0);
  });

  it("runs concurrent overlapping batches without losing an occurrence", async () => {
    const shared = Array.from({ length: 20 }, () => ingestBody());
    const responses = await Promise.all(Array.from({ length: 8 }, () => batch([...shared].sort(() => Math.random() - 0.5))));
    for (const r of responses) expect(r.statusCode === 200 || r.statusCode === 202).toBe(true);
    const { rows } = await t.pool.query("SELECT occurrence_count FROM recovery_candidates WHERE failure_match_id = ANY($1::uuid[])", [
      shared.map((i) => i.failure_match_id),
    ]);
    expect(rows).toHaveLength(20);
    for (const row of rows) expect(row.occurrence_count).toBe(8);
    expect(responses.reduce((sum, r) => sum + r.json().accepted, 0)).toBe(20);
  });
});
