// The idempotency key of a request: the body's idempotency_key or the Idempotency-Key header.
import { BadRequestError } from "../errors.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface ResolvedKey {
  key: string | null;
  /** Where it came from, to name the field in a 422. */
  field: "idempotency_key" | "Idempotency-Key";
}

export function resolveIdempotencyKey(bodyKey: string | null | undefined, header: string | string[] | undefined): ResolvedKey {
  if (Array.isArray(header)) {
    throw new BadRequestError("Send one Idempotency-Key header", { code: "invalid_idempotency_key", field: "Idempotency-Key", location: "header" });
  }
  const fromHeader = header?.trim();
  if (fromHeader !== undefined && !UUID.test(fromHeader)) {
    throw new BadRequestError("Idempotency-Key must be a UUID", { code: "invalid_idempotency_key", field: "Idempotency-Key", location: "header" });
  }
  const fromBody = bodyKey ?? undefined;
  if (fromHeader !== undefined && fromBody !== undefined && fromHeader.toLowerCase() !== fromBody.toLowerCase()) {
    throw new BadRequestError("The Idempotency-Key header and the body's idempotency_key differ", {
      code: "idempotency_key_conflict",
      field: "idempotency_key",
      location: "body",
    });
  }
  if (fromBody !== undefined) return { key: fromBody.toLowerCase(), field: "idempotency_key" };
  if (fromHeader !== undefined) return { key: fromHeader.toLowerCase(), field: "Idempotency-Key" };
  return { key: null, field: "idempotency_key" };
}
