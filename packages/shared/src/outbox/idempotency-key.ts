import { createHash } from "node:crypto";

/** The stable per-event idempotency key: first 32 hex of SHA-256 of "<id>:<aggregate_type>:<aggregate_id>:<event_type>". */
export function outboxIdempotencyKey(event: { id: number; aggregate_type: string; aggregate_id: string; event_type: string }): string {
  return createHash("sha256")
    .update(`${event.id}:${event.aggregate_type}:${event.aggregate_id}:${event.event_type}`)
    .digest("hex")
    .slice(0, 32);
}
