import type { OutboxEvent } from "@m10/shared";

/**
 * The JSON body of webhook and NATS deliveries (the Standard Webhooks payload shape: type + data).
 * It holds only the event's stored fields, so every attempt sends the same bytes.
 */
export interface EventEnvelope {
  type: string;
  id: string;
  outbox_id: number;
  /** The event's place in its aggregate's order (higher = newer); a replay carries the original's. */
  version: number;
  aggregate_type: string;
  aggregate_id: string;
  data: unknown;
}

export function eventEnvelope(event: OutboxEvent, idempotencyKey: string): EventEnvelope {
  return {
    type: event.event_type,
    id: idempotencyKey,
    outbox_id: event.id,
    version: event.version,
    aggregate_type: event.aggregate_type,
    aggregate_id: event.aggregate_id,
    data: event.payload ?? {},
  };
}

/** The values a template can use: {{event_type}}, {{aggregate_type}}, {{aggregate_id}}, {{id}}, {{version}}, {{idempotency_key}}, {{payload_json}}, {{payload.<path>}}. */
export function templateValues(event: OutboxEvent, idempotencyKey: string): Record<string, unknown> {
  return {
    event_type: event.event_type,
    aggregate_type: event.aggregate_type,
    aggregate_id: event.aggregate_id,
    id: event.id,
    version: event.version,
    idempotency_key: idempotencyKey,
    retry_count: event.retry_count,
    payload: event.payload ?? {},
    payload_json: JSON.stringify(event.payload ?? {}, null, 2),
  };
}

/**
 * Replaces {{dotted.path}} with the value at that path (objects as JSON, missing as ""), passed
 * through `escape` (the template itself is the operator's and stays as written).
 */
export function renderTemplate(template: string, values: Record<string, unknown>, escape: (text: string) => string = (text) => text): string {
  return template.replace(/\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}/g, (_, path: string) => {
    let value: unknown = values;
    for (const part of path.split(".")) {
      value = value !== null && typeof value === "object" ? (value as Record<string, unknown>)[part] : undefined;
    }
    if (value === undefined || value === null) return "";
    return escape(typeof value === "object" ? JSON.stringify(value) : String(value));
  });
}
