// Text at the door (docs/architecture.md §4.5, "Text"): stored text is cut on code points, so no
// cut splits a surrogate pair; a lone surrogate (`\ud800`: valid JSON, invalid Unicode) is refused
// with 400 invalid_unicode naming the field, on every route (a batch refuses only that item); a
// body whose Content-Encoding the server does not decode is a 415.
import { describe, expect, it } from "vitest";
import { bearer, FILE_TOKENS, ingestBody, MACHINE_TOKEN, useTestApp } from "./support/test-app.js";

const t = useTestApp({ env: { M10_RATE_LIMIT_PINS_MAX: "100000" } });
const auth = bearer(MACHINE_TOKEN);
const STORED_MESSAGE_MAX_CODE_POINTS = 2_000;

const postJson = (url: string, body: string, headers: Record<string, string> = auth) =>
  t.app.inject({ method: "POST", url, headers: { ...headers, "content-type": "application/json" }, payload: body });

const FOUR_BYTE = ["😀", "𝔘", "👩‍👩‍👧", "🇩🇪"];
const COMBINING = "é"; // e + U+0301

/** Raw texts with a multi-unit character straddling every position around the 2,000 cut. */
function rawsAroundTheCut(): string[] {
  const raws: string[] = [];
  for (let offset = -3; offset <= 2; offset++) {
    for (const char of [...FOUR_BYTE, COMBINING]) raws.push(`${"a".repeat(STORED_MESSAGE_MAX_CODE_POINTS + offset)}${char.repeat(4)}tail`);
  }
  // Only 4-byte characters: every cut position lands between two surrogate pairs or inside one.
  raws.push("😀".repeat(STORED_MESSAGE_MAX_CODE_POINTS + 10));
  raws.push(`x${"𝔘".repeat(STORED_MESSAGE_MAX_CODE_POINTS + 10)}`);
  return raws;
}

async function storedMessages(ids: number[]): Promise<string[]> {
  const { rows } = await t.pool.query<{ m: string }>("SELECT explain->>'error_message' AS m FROM recovery_candidates WHERE id = ANY($1::int[]) ORDER BY id", [ids]);
  return rows.map((r) => r.m);
}

describe("text cut at a storage bound", () => {
  it("stores a single failure whose raw message has emoji, combining marks or 4-byte characters at the 2,000 cut: 202, cut on code points", async () => {
    for (const raw of rawsAroundTheCut()) {
      const response = await postJson("/api/v1/recovery/ingest", JSON.stringify(ingestBody({ failure_payload: { error_type: "TIMEOUT", raw } })));
      expect(response.statusCode, raw.slice(-12)).toBe(202);
      const [message] = await storedMessages([response.json().candidate_id]);
      expect(message).not.toMatch(/\p{Surrogate}/u);
      expect([...message!]).toHaveLength(STORED_MESSAGE_MAX_CODE_POINTS);
      expect(raw.startsWith(message!)).toBe(true);
    }
  });

  it("stores a batch of such failures: every item accepted, none lost", async () => {
    const raws = rawsAroundTheCut();
    const response = await postJson(
      "/api/v1/recovery/ingest/batch",
      JSON.stringify({ items: raws.map((raw) => ingestBody({ failure_payload: { error_type: "TIMEOUT", raw } })) }),
    );
    expect(response.statusCode).toBe(202);
    expect(response.json()).toMatchObject({ accepted: raws.length, rejected: 0 });
    const messages = await storedMessages(response.json().results.map((r: { candidate_id: number }) => r.candidate_id));
    expect(messages).toHaveLength(raws.length);
    for (const message of messages) expect(message).not.toMatch(/\p{Surrogate}/u);
  });
});

describe("lone surrogates", () => {
  const lone = (body: Record<string, unknown>, marker: string) => JSON.stringify(body).replace(marker, "\\ud800");

  it("refuses a single ingest with 400 invalid_unicode naming the field, storing nothing", async () => {
    for (const [field, body] of [
      ["failure_payload.raw", ingestBody({ failure_payload: { error_type: "TIMEOUT", raw: "before MARK after" } })],
      ["failure_payload.error_type", ingestBody({ failure_payload: { error_type: "MARK" } })],
      ["source", ingestBody({ source: "MARK" })],
      ["failure_payload.meta.note", ingestBody({ failure_payload: { error_type: "TIMEOUT", meta: { note: "x MARK" } } })],
    ] as const) {
      const response = await postJson("/api/v1/recovery/ingest", lone(body, "MARK"));
      expect(response.statusCode, field).toBe(400);
      expect(response.headers["content-type"]).toContain("application/problem+json");
      expect(response.json()).toMatchObject({ code: "invalid_unicode", field, location: "body" });
      const { rows } = await t.pool.query("SELECT 1 FROM recovery_candidates WHERE failure_match_id = $1", [body.failure_match_id]);
      expect(rows).toHaveLength(0);
    }
  });

  it("refuses a lone surrogate in an object key too, naming where it is", async () => {
    const body = ingestBody({ failure_payload: { error_type: "TIMEOUT", meta: { KEY: 1 } } });
    const response = await postJson("/api/v1/recovery/ingest", JSON.stringify(body).replace("KEY", "k\\udc00"));
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: "invalid_unicode", field: "failure_payload.meta", location: "body" });
  });

  it("refuses only the offending batch item (rejected, invalid_unicode, field named) and stores the others", async () => {
    const good = ingestBody();
    const bad = ingestBody({ source: "MARK" });
    const alsoGood = ingestBody();
    const response = await postJson("/api/v1/recovery/ingest/batch", JSON.stringify({ items: [good, bad, alsoGood] }).replace("MARK", "\\udfff"));
    expect(response.statusCode).toBe(202);
    const json = response.json();
    expect(json).toMatchObject({ accepted: 2, rejected: 1 });
    expect(json.results[1]).toMatchObject({ index: 1, status: "rejected", candidate_id: null, code: "invalid_unicode", failure_match_id: bad.failure_match_id });
    expect(json.results[1].message).toContain("items.1.source");
    const { rows } = await t.pool.query<{ f: string }>("SELECT failure_match_id::text AS f FROM recovery_candidates WHERE failure_match_id = ANY($1::uuid[])", [
      [good.failure_match_id, bad.failure_match_id, alsoGood.failure_match_id],
    ]);
    expect(rows.map((r) => r.f).sort()).toEqual([good.failure_match_id, alsoGood.failure_match_id].sort());
  });

  it("refuses a pin whose key, tenant, source or value holds one, instead of storing it altered", async () => {
    const pins = bearer(FILE_TOKENS.acmeMachine.token);
    for (const [field, body] of [
      ["key", { key: "pin-MARK", value: {} }],
      ["source", { key: "pin-source", value: {}, source: "MARK" }],
      ["value.text", { key: "pin-value", value: { text: "MARK" } }],
    ] as const) {
      const response = await postJson("/api/v1/memory/pins", lone(body, "MARK"), pins);
      expect(response.statusCode, field).toBe(400);
      expect(response.json()).toMatchObject({ code: "invalid_unicode", field });
    }
    const { rows } = await t.pool.query("SELECT key FROM system.memory_pins WHERE key LIKE 'pin-%'");
    expect(rows).toEqual([]);
  });
});

describe("Content-Encoding", () => {
  it("answers 415 unsupported_content_encoding for a body the server does not decode, on every route", async () => {
    for (const [url, body] of [
      ["/api/v1/recovery/ingest", ingestBody()],
      ["/api/v1/recovery/ingest/batch", { items: [ingestBody()] }],
      ["/api/v1/memory/pins", { key: "encoded", value: {} }],
    ] as const) {
      for (const encoding of ["gzip", "br", "deflate", "x-custom", "identity, gzip"]) {
        const response = await postJson(url, JSON.stringify(body), { ...bearer(FILE_TOKENS.acmeMachine.token), "content-encoding": encoding });
        expect(response.statusCode, `${url} ${encoding}`).toBe(415);
        expect(response.headers["content-type"]).toContain("application/problem+json");
        expect(response.json()).toMatchObject({ code: "unsupported_content_encoding", field: "Content-Encoding", location: "header" });
        expect(response.headers["accept-encoding"]).toBe("identity");
      }
    }
    const { rows } = await t.pool.query("SELECT 1 FROM system.memory_pins WHERE key = 'encoded'");
    expect(rows).toHaveLength(0);
  });

  it("takes a body labelled identity as plain JSON", async () => {
    const response = await postJson("/api/v1/recovery/ingest", JSON.stringify(ingestBody()), { ...auth, "content-encoding": "Identity" });
    expect(response.statusCode).toBe(202);
  });
});

describe("a path that does not decode", () => {
  it("answers 400 invalid_url as problem+json for percent-encoding that is not UTF-8 (a lone surrogate in a path)", async () => {
    for (const url of ["/api/v1/memory/pins/%ED%A0%80", "/api/v1/recovery/candidates/%FF", "/api/v1/memory/pins/a%E2%82"]) {
      const response = await t.app.inject({ method: "GET", url, headers: auth });
      expect(response.statusCode, url).toBe(400);
      expect(response.headers["content-type"], url).toMatch(/^application\/problem\+json/);
      expect(response.json(), url).toMatchObject({ status: 400, code: "invalid_url" });
    }
  });
});
