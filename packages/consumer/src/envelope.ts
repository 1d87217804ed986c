// The envelope of M10's events, as the webhook and NATS targets send it.

export interface M10Envelope {
  type: string;
  /** The outbox idempotency key: the same for every delivery of one event version. */
  id: string;
  outbox_id: number;
  version: number;
  aggregate_type: string;
  aggregate_id: string;
  data: unknown;
}

export class InvalidEnvelopeError extends Error {
  constructor(
    readonly code: "invalid_json" | "invalid_envelope",
    detail: string,
  ) {
    super(detail);
  }
}

/** The envelope of a message body; InvalidEnvelopeError when it is not one (type and id required). */
export function parseEnvelope(body: string): M10Envelope {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new InvalidEnvelopeError("invalid_json", "the body is not JSON");
  }
  const e = parsed as Partial<M10Envelope> | null;
  if (typeof e !== "object" || e === null || typeof e.type !== "string" || typeof e.id !== "string" || e.id === "") {
    throw new InvalidEnvelopeError("invalid_envelope", "the body is not an M10 event envelope (type and id required)");
  }
  return e as M10Envelope;
}
