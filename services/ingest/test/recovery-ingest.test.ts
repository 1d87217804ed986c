import { errorSignature } from "@m10/rules";
import { describe, expect, it } from "vitest";
import { bearer, ingestBody, MACHINE_TOKEN, useTestApp } from "./support/test-app.js";

const auth = bearer(MACHINE_TOKEN);
const t = useTestApp();

const ingest = (payload: unknown, headers: Record<string, string> = {}) =>
  t.app.inject({ method: "POST", url: "/api/v1/recovery/ingest", headers: { ...auth, ...headers }, payload: payload as Record<string, unknown> });

describe("POST /api/v1/recovery/ingest", () => {
  it("answers 202 accepted for a new failure and stores it pending evaluation with the default suggestion", async () => {
    const body = ingestBody();
    const response = await ingest(body);
    expect(response.statusCode).toBe(202);
    const json = response.json();
    expect(json).toEqual({
      candidate_id: expect.any(Number),
      status: "accepted",
      message: "Failure accepted for recovery evaluation",
      is_duplicate: false,
      failure_match_id: body.failure_match_id,
    });
    expect(response.headers["x-request-id"]).toBeTruthy();
    const { rows } = await t.pool.query(
      "SELECT suggestion, confidence, explain, created_by, error_code, error_signature, source, occurrence_count, decision, evaluated_at FROM recovery_candidates WHERE id = $1",
      [json.candidate_id],
    );
    expect(rows[0]).toMatchObject({
      suggestion: "Increase timeout threshold or implement retry with exponential backoff",
      confidence: 0.2,
      created_by: "ingest_api",
      error_code: "TIMEOUT",
      error_signature: errorSignature("TIMEOUT", "Connection timed out after 30s"),
      source: "test",
      occurrence_count: 1,
      decision: "pending",
      evaluated_at: null,
    });
    expect(rows[0].explain).toMatchObject({ method: "pending_evaluation", source: "test", error_message: "Connection timed out after 30s" });
  });

  it("queues a new candidate on the evaluation stream with the fields of docs/architecture.md §4.5", async () => {
    const key = crypto.randomUUID();
    const body = ingestBody({ idempotency_key: key });
    const response = await ingest(body);
    expect(response.statusCode).toBe(202);
    const entries = await t.redis!.xrange(t.config.M10_STREAM_KEY, "-", "+");
    const entry = entries.find(([, fields]) => fields[1] === String(response.json().candidate_id));
    expect(entry).toBeDefined();
    const fields = Object.fromEntries(
      (entry![1] as string[]).reduce<[string, string][]>((pairs, value, i, all) => (i % 2 === 0 ? [...pairs, [value, all[i + 1] as string]] : pairs), []),
    );
    expect(fields).toMatchObject({ candidate_id: String(response.json().candidate_id), priority: "0", idempotency_key: key });
    expect(JSON.parse(fields.metadata as string)).toMatchObject({ failure_match_id: body.failure_match_id });
    expect(Date.parse(fields.enqueued_at as string)).not.toBeNaN();
  });

  it("answers 200 is_duplicate for the same failure_match_id and counts the occurrence", async () => {
    const body = ingestBody();
    const first = await ingest(body);
    const second = await ingest(body);
    expect(second.statusCode).toBe(200);
    expect(second.json()).toEqual({
      candidate_id: first.json().candidate_id,
      status: "duplicate",
      message: "Updated occurrence count to 2",
      is_duplicate: true,
      failure_match_id: body.failure_match_id,
    });
    expect(await t.metric("recovery_ingest_duplicates_total", { detection_method: "upsert_conflict" })).toBeGreaterThanOrEqual(1);
  });

  it("returns the same candidate for a replayed idempotency key without counting another occurrence", async () => {
    const body = ingestBody({ idempotency_key: crypto.randomUUID() });
    const first = await ingest(body);
    const replay = await ingest(body);
    expect(replay.statusCode).toBe(200);
    expect(replay.json()).toMatchObject({ candidate_id: first.json().candidate_id, is_duplicate: true, message: "Idempotency key matched existing candidate" });
    const { rows } = await t.pool.query("SELECT occurrence_count FROM recovery_candidates WHERE id = $1", [first.json().candidate_id]);
    expect(rows[0].occurrence_count).toBe(1);
  });

  it("accepts the key in the Idempotency-Key header", async () => {
    const key = crypto.randomUUID();
    const first = await ingest(ingestBody(), { "idempotency-key": key });
    expect(first.statusCode).toBe(202);
    const { rows } = await t.pool.query("SELECT idempotency_key::text AS k FROM recovery_candidates WHERE id = $1", [first.json().candidate_id]);
    expect(rows[0].k).toBe(key);
  });

  it("answers 422 idempotency_key_reused when a key comes back with another failure_match_id", async () => {
    const key = crypto.randomUUID();
    await ingest(ingestBody({ idempotency_key: key }));
    const reused = await ingest(ingestBody({ idempotency_key: key }));
    expect(reused.statusCode).toBe(422);
    expect(reused.headers["content-type"]).toContain("application/problem+json");
    expect(reused.json()).toMatchObject({ status: 422, code: "idempotency_key_reused", field: "idempotency_key" });
    const viaHeader = await ingest(ingestBody(), { "idempotency-key": key });
    expect(viaHeader.json()).toMatchObject({ status: 422, code: "idempotency_key_reused", field: "Idempotency-Key" });
  });

  it("answers 400 problem+json naming the field for an invalid uuid, a wrong type and a missing field", async () => {
    const badUuid = await ingest(ingestBody({ failure_match_id: "not-a-uuid" }));
    expect(badUuid.statusCode).toBe(400);
    expect(badUuid.headers["content-type"]).toContain("application/problem+json");
    expect(badUuid.json()).toMatchObject({ status: 400, code: "validation_failed", field: "failure_match_id", location: "body", type: "urn:m10:problem:validation_failed" });

    const wrongType = await ingest(ingestBody({ failure_payload: { error_type: 123 } }));
    expect(wrongType.statusCode).toBe(400);
    expect(wrongType.json()).toMatchObject({ field: "failure_payload.error_type" });

    const missing = await ingest({ failure_payload: {} });
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toMatchObject({ field: "failure_match_id" });

    const badKey = await ingest(ingestBody(), { "idempotency-key": "abc" });
    expect(badKey.statusCode).toBe(400);
    expect(badKey.json()).toMatchObject({ code: "invalid_idempotency_key", field: "Idempotency-Key", location: "header" });
  });

  it("answers 400 for bad JSON, invalid UTF-8, a NUL in stored text and over-deep nesting", async () => {
    const badJson = await t.app.inject({ method: "POST", url: "/api/v1/recovery/ingest", headers: { ...auth, "content-type": "application/json" }, payload: "{\"failure" });
    expect(badJson.statusCode).toBe(400);
    expect(badJson.json()).toMatchObject({ code: "invalid_json" });

    const invalidUtf8 = Buffer.concat([Buffer.from('{"failure_match_id":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
    const utf8 = await t.app.inject({ method: "POST", url: "/api/v1/recovery/ingest", headers: { ...auth, "content-type": "application/json" }, payload: invalidUtf8 });
    expect(utf8.statusCode).toBe(400);
    expect(utf8.json()).toMatchObject({ code: "invalid_utf8" });

    const nul = await ingest(ingestBody({ failure_payload: { error_type: "A\u0000B" } }));
    expect(nul.statusCode).toBe(400);
    expect(nul.json()).toMatchObject({ field: "failure_payload.error_type" });

    const deep = await t.app.inject({
      method: "POST",
      url: "/api/v1/recovery/ingest",
      headers: { ...auth, "content-type": "application/json" },
      payload: `{"failure_payload":{"meta":${"[".repeat(5_000)}${"]".repeat(5_000)}}}`,
    });
    expect(deep.statusCode).toBe(400);
    expect(deep.json()).toMatchObject({ code: "json_too_deep" });

    const proto = await t.app.inject({ method: "POST", url: "/api/v1/recovery/ingest", headers: { ...auth, "content-type": "application/json" }, payload: '{"__proto__":{"x":1}}' });
    expect(proto.statusCode).toBe(400);
  });

  it("answers 415 for a body that is not JSON", async () => {
    const response = await t.app.inject({ method: "POST", url: "/api/v1/recovery/ingest", headers: { ...auth, "content-type": "text/plain" }, payload: "hello" });
    expect(response.statusCode).toBe(415);
    expect(response.json()).toMatchObject({ status: 415, code: "unsupported_media_type" });
    const form = await t.app.inject({ method: "POST", url: "/api/v1/recovery/ingest", headers: { ...auth, "content-type": "application/x-www-form-urlencoded" }, payload: "a=b" });
    expect(form.statusCode).toBe(415);
  });

  it("answers 413 for a body over M10_INGEST_MAX_BODY_BYTES", async () => {
    const big = ingestBody({ failure_payload: { error_type: "X", raw: "x".repeat(t.config.M10_INGEST_MAX_BODY_BYTES + 1) } });
    const response = await ingest(big);
    expect(response.statusCode).toBe(413);
    expect(response.json()).toMatchObject({ status: 413, code: "body_too_large" });
  });

  it("stores an explicit null source as NULL and defaults an absent one to api", async () => {
    const withNull = await ingest(ingestBody({ source: null }));
    const absent = await ingest({ failure_match_id: crypto.randomUUID(), failure_payload: { error_code: "HTTP_5XX", error_message: "boom" } });
    const { rows } = await t.pool.query("SELECT id, source, error_code FROM recovery_candidates WHERE id = ANY($1) ORDER BY id", [
      [withNull.json().candidate_id, absent.json().candidate_id],
    ]);
    expect(rows.map((r) => r.source)).toEqual([null, "api"]);
    expect(rows[1].error_code).toBe("HTTP_5XX");
  });

  it("does not queue a candidate when enqueue_evaluation is false", async () => {
    const before = await t.metric("recovery_ingest_enqueue_total", { status: "skipped" });
    const response = await ingest(ingestBody({ enqueue_evaluation: false }));
    expect(response.statusCode).toBe(202);
    expect(await t.metric("recovery_ingest_enqueue_total", { status: "skipped" })).toBe(before + 1);
  });

  it("counts answers in recovery_ingest_total by status and source", async () => {
    const before = await t.metric("recovery_ingest_total", { status: "accepted", source: "metrics-check" });
    await ingest(ingestBody({ source: "metrics-check" }));
    expect(await t.metric("recovery_ingest_total", { status: "accepted", source: "metrics-check" })).toBe(before + 1);
    expect(await t.metric("recovery_ingest_total", { status: "error" })).toBeGreaterThan(0);
    expect(await t.metric("recovery_ingest_latency_seconds_count", { status: "accepted" })).toBeGreaterThan(0);
  });
});
