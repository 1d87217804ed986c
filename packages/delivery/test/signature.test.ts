import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { SinkRequest } from "@m10/devstack/testing";
import { describe, expect, it } from "vitest";
import { insertEvents, testEngine, useOutboxEnvironment, webhookRouting } from "../src/testing.js";

/**
 * The receiver's side of Standard Webhooks, written from the specification and independent of the
 * processor's code: HMAC-SHA256 over "<webhook-id>.<webhook-timestamp>.<body>" keyed with the
 * base64-decoded part of the whsec_ secret, compared with each "v1,<base64>" of webhook-signature.
 */
function verifyStandardWebhook(secret: string, headers: Record<string, string | undefined>, body: string, toleranceSeconds = 300): boolean {
  const id = headers["webhook-id"];
  const timestamp = headers["webhook-timestamp"];
  const signatures = headers["webhook-signature"];
  if (!id || !timestamp || !signatures) return false;
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > toleranceSeconds) return false;
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const expected = createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest();
  return signatures.split(" ").some((entry) => {
    const [version, signature] = entry.split(",");
    if (version !== "v1" || !signature) return false;
    const given = Buffer.from(signature, "base64");
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

function headerMap(request: SinkRequest): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(",") : v]));
}

describe("webhook signatures", () => {
  const secret = `whsec_${randomBytes(24).toString("base64")}`;

  const t = useOutboxEnvironment();

  it("signs each delivery so the receiver verifies it with the Standard Webhooks algorithm", async () => {
    const [id] = await insertEvents(t.pool, 1, "recovery.suggested", () => ({ suggestion: "retry", confidence: 0.9 }));
    const engine = testEngine({ pool: t.pool, routing: webhookRouting(t.sink.url, { secret }) });

    expect((await engine.runOnce()).delivered).toBe(1);

    const [request] = t.sink.requests;
    if (!request) throw new Error("no request");
    const headers = headerMap(request);
    expect(verifyStandardWebhook(secret, headers, request.body)).toBe(true);
    // webhook-id and Idempotency-Key are the event's key: sha256("<version>:<aggregate_type>:<aggregate_id>:<event_type>")[:32],
    // and a first publication's version is its id.
    const key = createHash("sha256").update(`${id}:test:1:recovery.suggested`).digest("hex").slice(0, 32);
    expect(headers["webhook-id"]).toBe(key);
    expect(headers["idempotency-key"]).toBe(key);
    expect(headers["content-type"]).toBe("application/json");
    expect(JSON.parse(request.body)).toEqual({
      type: "recovery.suggested",
      id: key,
      outbox_id: id,
      version: id,
      aggregate_type: "test",
      aggregate_id: "1",
      data: { suggestion: "retry", confidence: 0.9 },
    });
  });

  it("fails verification of a tampered body, timestamp or secret", async () => {
    await insertEvents(t.pool, 1, "recovery.suggested", () => ({ suggestion: "retry" }));
    await testEngine({ pool: t.pool, routing: webhookRouting(t.sink.url, { secret }) }).runOnce();
    const [request] = t.sink.requests;
    if (!request) throw new Error("no request");
    const headers = headerMap(request);

    expect(verifyStandardWebhook(secret, headers, request.body.replace("retry", "abort"))).toBe(false);
    expect(verifyStandardWebhook(secret, { ...headers, "webhook-timestamp": String(Number(headers["webhook-timestamp"]) + 1) }, request.body)).toBe(false);
    expect(verifyStandardWebhook(`whsec_${randomBytes(24).toString("base64")}`, headers, request.body)).toBe(false);
    expect(verifyStandardWebhook(secret, headers, request.body)).toBe(true);
  });
});
