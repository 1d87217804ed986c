// POST /api/v1/recovery/ingest and /ingest/batch: the predecessor's fields, with M10's status-code
// corrections (docs/architecture.md §4.5).
import { Type, type Static } from "typebox";
import { Nullable, Text, Uuid } from "./common.js";

export const FailurePayload = Type.Object(
  {
    error_type: Type.Optional(Nullable(Text(256, { description: "error type, e.g. TIMEOUT (else error_code, else UNKNOWN)" }))),
    error_code: Type.Optional(Nullable(Text(256))),
    raw: Type.Optional(Nullable(Type.String({ description: "raw error text (else error_message); only its first 500 characters count" }))),
    error_message: Type.Optional(Nullable(Type.String())),
    meta: Type.Optional(Type.Unknown()),
  },
  { additionalProperties: true },
);

export const IngestBody = Type.Object(
  {
    failure_match_id: Uuid("the failure's id; the same id is counted, not duplicated"),
    failure_payload: FailurePayload,
    source: Type.Optional(Nullable(Text(128, { description: 'where the failure comes from (default "api")' }))),
    idempotency_key: Type.Optional(Nullable(Uuid("retries with the same key return the same candidate (also the Idempotency-Key header)"))),
    enqueue_evaluation: Type.Optional(Type.Boolean({ description: "queue the new candidate for evaluation (default true)" })),
  },
  { additionalProperties: true },
);
export type IngestBody = Static<typeof IngestBody>;

export const IngestResponse = Type.Object({
  candidate_id: Type.Integer(),
  status: Type.Union([Type.Literal("accepted"), Type.Literal("duplicate")]),
  message: Type.String(),
  is_duplicate: Type.Boolean(),
  failure_match_id: Type.String(),
});
export type IngestResponse = Static<typeof IngestResponse>;

export const IngestHeaders = Type.Object({
  "idempotency-key": Type.Optional(Type.String({ description: "a UUID; same as the body's idempotency_key" })),
});

export const BatchBody = (maxItems: number) =>
  Type.Object(
    {
      items: Type.Array(IngestBody, { minItems: 1, maxItems, description: `1..${maxItems} ingest requests` }),
    },
    { additionalProperties: true },
  );
export type BatchBody = { items: IngestBody[] };

export const BatchItemResult = Type.Object({
  index: Type.Integer(),
  status: Type.Union([Type.Literal("accepted"), Type.Literal("duplicate"), Type.Literal("rejected")]),
  candidate_id: Nullable(Type.Integer()),
  is_duplicate: Type.Boolean(),
  failure_match_id: Type.String(),
  message: Type.String(),
  code: Type.Optional(Type.String({ description: "why an item was rejected (idempotency_key_reused, failure_match_id_conflict, invalid_unicode)" })),
});
export type BatchItemResult = Static<typeof BatchItemResult>;

export const BatchResponse = Type.Object({
  accepted: Type.Integer(),
  duplicates: Type.Integer(),
  rejected: Type.Integer(),
  results: Type.Array(BatchItemResult),
});
export type BatchResponse = Static<typeof BatchResponse>;
