// /api/v1/memory/pins ("memory pins", docs/architecture.md §4.6).
import { Type, type Static } from "typebox";
import { Nullable, Text, Timestamp } from "./common.js";

// 1–512 characters and at most 1,024 bytes in UTF-8, none of "..", "/", "\" or NUL. With a tenant
// of at most 256 characters (1,024 bytes), (tenant_id, key) always fits a btree index row;
// migration 028 holds the same byte bounds.
const PIN_KEY_PATTERN = "^(?![\\s\\S]*\\.\\.)[^/\\\\\\u0000]{1,512}$";
export const PinKey = Type.String({
  minLength: 1,
  maxLength: 512,
  maxBytes: 1024,
  pattern: PIN_KEY_PATTERN,
  description: 'at most 512 characters and 1,024 bytes in UTF-8; no "..", "/", "\\" or NUL',
});
export const TenantId = Text(256, { minLength: 1, description: "at most 256 characters; with RBAC on, must be (and defaults to) the token's tenant" });

export const PinBody = Type.Object(
  {
    tenant_id: Type.Optional(TenantId),
    key: PinKey,
    value: Type.Record(Type.String(), Type.Unknown(), { description: "a JSON object" }),
    source: Type.Optional(Text(64, { minLength: 1 })),
    ttl_seconds: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 31_536_000 }))),
  },
  { additionalProperties: true },
);
export type PinBody = Static<typeof PinBody>;

export const Pin = Type.Object({
  id: Type.Integer(),
  tenant_id: Type.String(),
  key: Type.String(),
  value: Type.Unknown(),
  source: Type.String(),
  created_at: Timestamp,
  updated_at: Timestamp,
  ttl_seconds: Nullable(Type.Integer()),
  expires_at: Nullable(Timestamp),
});

export const PinParams = Type.Object({ key: PinKey });
export const TenantQuery = Type.Object({ tenant_id: Type.Optional(TenantId) });

export const PinListQuery = Type.Object({
  tenant_id: Type.Optional(TenantId),
  prefix: Type.Optional(Text(512, { description: "keys starting with this text (% and _ match literally)" })),
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
  // The M7 API pages by offset; bounded, so no request makes PostgreSQL skip millions of rows.
  offset: Type.Integer({ minimum: 0, maximum: 10_000, default: 0, description: "at most 10000 (narrow with prefix instead)" }),
  include_expired: Type.Boolean({ default: false }),
});
export type PinListQuery = Static<typeof PinListQuery>;

export const PinList = Type.Object({ pins: Type.Array(Pin), total: Type.Integer(), limit: Type.Integer(), offset: Type.Integer() });
export const PinDeleted = Type.Object({ deleted: Type.Literal(true), key: Type.String(), tenant_id: Type.String() });
export const PinCleanup = Type.Object({ deleted_count: Type.Integer(), tenant_id: Nullable(Type.String()), timestamp: Timestamp });
