import { createHmac, timingSafeEqual } from "node:crypto";

// The receiver's side of Standard Webhooks (https://www.standardwebhooks.com/), as M10's outbox
// processor signs (packages/delivery/src/signature.ts): HMAC-SHA256 over
// "<webhook-id>.<webhook-timestamp>.<body>" keyed with the base64 part of a "whsec_" secret;
// webhook-signature holds one or more space-separated "v1,<base64>".

export type WebhookVerification = { ok: true; id: string } | { ok: false; reason: "missing_headers" | "timestamp_out_of_tolerance" | "bad_signature" };

export interface WebhookHeaders {
  "webhook-id"?: string;
  "webhook-timestamp"?: string;
  "webhook-signature"?: string;
}

/** Checks the three headers against the raw body; a timestamp further than `toleranceSeconds` from now is refused (replay protection). */
export function verifyStandardWebhook(secret: string, headers: WebhookHeaders, body: string, toleranceSeconds = 300, now = Date.now()): WebhookVerification {
  const id = headers["webhook-id"];
  const timestamp = headers["webhook-timestamp"];
  const signatures = headers["webhook-signature"];
  if (!id || !timestamp || !signatures) return { ok: false, reason: "missing_headers" };
  const seconds = Number(timestamp);
  if (!Number.isInteger(seconds) || Math.abs(now / 1000 - seconds) > toleranceSeconds) return { ok: false, reason: "timestamp_out_of_tolerance" };
  const key = Buffer.from(secret.startsWith("whsec_") ? secret.slice("whsec_".length) : secret, "base64");
  const expected = createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest();
  const matches = signatures.split(" ").some((entry) => {
    const [version, signature] = entry.split(",");
    if (version !== "v1" || !signature) return false;
    const given = Buffer.from(signature, "base64");
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  return matches ? { ok: true, id } : { ok: false, reason: "bad_signature" };
}
