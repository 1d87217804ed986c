import { createHash } from "node:crypto";

/**
 * The per-version idempotency key: first 32 hex of SHA-256 of "<version>:<aggregate_type>:<aggregate_id>:<event_type>".
 * A version is the id of the event's first publication, so the key is the same on every retry and
 * replay of one version and differs between versions.
 */
export function outboxIdempotencyKey(event: { version: number; aggregate_type: string; aggregate_id: string; event_type: string }): string {
  return createHash("sha256")
    .update(`${event.version}:${event.aggregate_type}:${event.aggregate_id}:${event.event_type}`)
    .digest("hex")
    .slice(0, 32);
}
