// Expensive reads (issue 11 item 19): keyset pages with a cursor and a bounded limit instead of
// OFFSET and count(*), and the provenance of a candidate in pages too.
import { describe, expect, it } from "vitest";
import { bearer, ingestBody, TENANT_TOKENS, useTestApp } from "./support/test-app.js";

const t = useTestApp();
const machine = bearer(TENANT_TOKENS.a.machine.token);
const reader = bearer(TENANT_TOKENS.a.readonly.token);

async function newCandidate(source: string): Promise<number> {
  const response = await t.app.inject({ method: "POST", url: "/api/v1/recovery/ingest", headers: machine, payload: ingestBody({ source }) });
  expect(response.statusCode).toBe(202);
  return response.json().candidate_id as number;
}

const get = (url: string) => t.app.inject({ method: "GET", url, headers: reader });

describe("GET /api/v1/recovery/candidates pages", () => {
  it("walks every row exactly once with the cursor while new rows are inserted", async () => {
    const source = `pages-${crypto.randomUUID().slice(0, 8)}`;
    const existing: number[] = [];
    for (let i = 0; i < 10; i++) existing.push(await newCandidate(source));
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await get(`/api/v1/recovery/candidates?source=${source}&limit=3${cursor ? `&cursor=${cursor}` : ""}`);
      expect(page.statusCode, page.body).toBe(200);
      const json = page.json();
      expect(json).not.toHaveProperty("total");
      expect(json.candidates.length).toBeLessThanOrEqual(3);
      seen.push(...json.candidates.map((c: { id: number }) => c.id));
      cursor = json.next_cursor;
      pages++;
      // Rows arriving during the walk never shift or repeat the rest of it.
      await newCandidate(source);
    } while (cursor !== null && pages < 20);
    expect(seen).toEqual([...existing].reverse());
    expect(pages).toBe(4);
  });

  it("refuses a huge offset or limit, and a forged cursor, with 400 and a code", async () => {
    const cases: [string, string][] = [
      ["offset=2147483647", "offset_unsupported"],
      ["offset=1", "offset_unsupported"],
      ["limit=1000000000", "invalid_value"],
      ["cursor=bm90LWEtY3Vyc29y", "invalid_cursor"],
      ["cursor=%7B%22id%22%3A1e99%7D", "invalid_cursor"],
    ];
    for (const [query, code] of cases) {
      const started = performance.now();
      const response = await get(`/api/v1/recovery/candidates?${query}`);
      expect(response.statusCode, query).toBe(400);
      expect(response.json(), query).toMatchObject({ location: "query" });
      if (code !== "invalid_value") expect(response.json().code, query).toBe(code);
      expect(performance.now() - started, query).toBeLessThan(2_000);
    }
    // The runbooks' forms keep working.
    expect((await get("/api/v1/recovery/candidates?limit=5")).statusCode).toBe(200);
    expect((await get("/api/v1/recovery/candidates?limit=5&offset=0")).statusCode).toBe(200);
  });
});

describe("memory pin pages", () => {
  it("refuse an offset past 10000 with 400 instead of skipping that many rows", async () => {
    const huge = await t.app.inject({ method: "GET", url: "/api/v1/memory/pins?offset=2147483647", headers: reader });
    expect(huge.statusCode).toBe(400);
    expect(huge.json()).toMatchObject({ field: "offset", location: "query" });
    expect((await t.app.inject({ method: "GET", url: "/api/v1/memory/pins?offset=10000", headers: reader })).statusCode).toBe(200);
  });
});

describe("provenance pages", () => {
  it("returns the first provenance_limit rows in the detail and the rest from /provenance, each row once", async () => {
    const id = await newCandidate(`prov-${crypto.randomUUID().slice(0, 8)}`);
    await t.pool.query(
      "INSERT INTO m10_recovery.suggestion_provenance (suggestion_id, event_type, details) SELECT $1, 'manual_override', jsonb_build_object('n', n) FROM generate_series(1, 7) AS n",
      [id],
    );
    const detail = (await get(`/api/v1/recovery/candidates/${id}?provenance_limit=3`)).json();
    expect(detail.provenance.map((p: { details: { n: number } }) => p.details.n)).toEqual([1, 2, 3]);
    expect(detail.provenance_next_cursor).toEqual(expect.any(String));

    const walked: number[] = [];
    let cursor: string | null = null;
    do {
      const page = await get(`/api/v1/recovery/candidates/${id}/provenance?limit=3${cursor ? `&cursor=${cursor}` : ""}`);
      expect(page.statusCode, page.body).toBe(200);
      walked.push(...page.json().provenance.map((p: { details: { n: number } }) => p.details.n));
      cursor = page.json().next_cursor;
    } while (cursor !== null && walked.length < 20);
    expect(walked).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect((await get(`/api/v1/recovery/candidates/${id}/provenance?limit=501`)).statusCode).toBe(400);
  });
});
