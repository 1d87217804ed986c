import { createHmac } from "node:crypto";

// Standard Webhooks (https://www.standardwebhooks.com/, spec "Signature scheme"): the signed
// content is "<webhook-id>.<webhook-timestamp>.<body>", the key is the base64 part of a
// "whsec_"-prefixed secret, and webhook-signature carries "v1,<base64 HMAC-SHA256>".

export const WEBHOOK_SECRET_PREFIX = "whsec_";

/** The HMAC key of a "whsec_<base64>" secret. */
export function webhookSecretKey(secret: string): Buffer {
  const encoded = secret.startsWith(WEBHOOK_SECRET_PREFIX) ? secret.slice(WEBHOOK_SECRET_PREFIX.length) : secret;
  return Buffer.from(encoded, "base64");
}

/** "v1,<base64 HMAC-SHA256 of id.timestamp.body>". */
export function signWebhook(secret: string, id: string, timestampSeconds: number, body: string): string {
  const digest = createHmac("sha256", webhookSecretKey(secret)).update(`${id}.${timestampSeconds}.${body}`).digest("base64");
  return `v1,${digest}`;
}

/** The three Standard Webhooks headers of one delivery attempt. */
export function standardWebhookHeaders(secret: string | undefined, id: string, body: string, now: number = Date.now()): Record<string, string> {
  const timestamp = Math.floor(now / 1000);
  const headers: Record<string, string> = { "webhook-id": id, "webhook-timestamp": String(timestamp) };
  if (secret) headers["webhook-signature"] = signWebhook(secret, id, timestamp, body);
  return headers;
}
