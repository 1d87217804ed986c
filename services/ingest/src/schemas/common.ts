// Schema building blocks shared by the route schemas.
import { Type, type TSchema } from "typebox";

export const UUID_PATTERN = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";
const NO_NUL = "^[^\\u0000]*$";

export const Uuid = (description?: string) =>
  Type.String({ format: "uuid", pattern: UUID_PATTERN, ...(description ? { description } : {}) });

/** Text PostgreSQL stores: bounded length, no NUL characters. */
export const Text = (maxLength: number, options: { description?: string; minLength?: number } = {}) =>
  Type.String({ maxLength, pattern: NO_NUL, ...options });

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** Timestamps are ISO-8601 strings (UTC). */
export const Timestamp = Type.String({ format: "date-time" });

/** PostgreSQL integer ids: 1..2^31-1. */
export const IntegerId = Type.Integer({ minimum: 1, maximum: 2_147_483_647 });

/** RFC 9457 problem details with M10's stable `code` and the offending `field`. */
export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.String({ description: "stable machine-readable error code" }),
    field: Type.Optional(Type.String({ description: "the offending field (dotted path or header name)" })),
    location: Type.Optional(Type.String({ description: "body, query, path or header" })),
    instance: Type.String(),
    request_id: Type.String(),
  },
  { additionalProperties: true, description: "application/problem+json (RFC 9457)" },
);

/** Responses every API route can give besides its own. */
export const commonErrorResponses = {
  400: ProblemSchema,
  401: ProblemSchema,
  403: ProblemSchema,
  429: ProblemSchema,
  503: ProblemSchema,
};
