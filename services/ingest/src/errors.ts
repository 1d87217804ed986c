// Named errors that handlers throw; http/problem-handler.ts turns each into an RFC 9457 problem.

export interface ProblemDetails {
  /** Stable, machine-readable; the problem type is urn:m10:problem:<code>. */
  code: string;
  /** The offending field (dotted path, e.g. failure_payload.error_type, or a header name). */
  field?: string;
  /** Where the field is: body, query, path or header. */
  location?: "body" | "query" | "path" | "header";
  /** Response headers the answer must carry (Retry-After, WWW-Authenticate). */
  headers?: Record<string, string>;
  /** Extra members of the problem object. */
  extra?: Record<string, unknown>;
}

export class ProblemError extends Error {
  readonly code: string;
  readonly field: string | undefined;
  readonly location: ProblemDetails["location"];
  readonly headers: Record<string, string>;
  readonly extra: Record<string, unknown>;

  constructor(
    readonly status: number,
    message: string,
    details: ProblemDetails,
  ) {
    super(message);
    this.name = "ProblemError";
    this.code = details.code;
    this.field = details.field;
    this.location = details.location;
    this.headers = details.headers ?? {};
    this.extra = details.extra ?? {};
  }
}

export class BadRequestError extends ProblemError {
  constructor(message: string, details: ProblemDetails) {
    super(400, message, details);
    this.name = "BadRequestError";
  }
}

/** A body with a content coding: the server decodes none, so it is not parsed as plain JSON. */
export class UnsupportedContentEncodingError extends ProblemError {
  constructor() {
    super(415, "Content-Encoding is not supported: send the body unencoded (identity)", {
      code: "unsupported_content_encoding",
      field: "Content-Encoding",
      location: "header",
      // RFC 7694: a 415 for a content coding names the codings the server takes.
      headers: { "accept-encoding": "identity" },
    });
    this.name = "UnsupportedContentEncodingError";
  }
}

export class NotFoundError extends ProblemError {
  constructor(message: string, code = "not_found") {
    super(404, message, { code });
    this.name = "NotFoundError";
  }
}

/** The IETF Idempotency-Key draft's answer to a key reused with a different request. */
export class IdempotencyKeyReusedError extends ProblemError {
  constructor(field = "idempotency_key") {
    super(422, "This idempotency key was already used for a different failure_match_id", {
      code: "idempotency_key_reused",
      field,
      location: field === "Idempotency-Key" ? "header" : "body",
    });
    this.name = "IdempotencyKeyReusedError";
  }
}

/** A failure_match_id already recorded for another tenant: this tenant can neither see nor count it. */
export class FailureMatchConflictError extends ProblemError {
  constructor() {
    super(409, FAILURE_MATCH_CONFLICT_MESSAGE, { code: "failure_match_id_conflict", field: "failure_match_id", location: "body" });
    this.name = "FailureMatchConflictError";
  }
}

export const FAILURE_MATCH_CONFLICT_MESSAGE = "This failure_match_id belongs to another tenant's candidate";

export class UnauthorizedError extends ProblemError {
  constructor(message: string, code: string) {
    super(401, message, { code, headers: { "www-authenticate": 'Bearer realm="m10"' } });
    this.name = "UnauthorizedError";
  }
}

export class ForbiddenError extends ProblemError {
  constructor(message: string, code: string, field?: string) {
    super(403, message, field === undefined ? { code } : { code, field });
    this.name = "ForbiddenError";
  }
}

export class RateLimitedError extends ProblemError {
  constructor(message: string) {
    super(429, message, { code: "rate_limited" });
    this.name = "RateLimitedError";
  }
}

export class FeatureDisabledError extends ProblemError {
  constructor(feature: string) {
    super(503, `${feature} is disabled on this server`, { code: "feature_disabled" });
    this.name = "FeatureDisabledError";
  }
}

/** PostgreSQL cannot be reached (or timed out): try again later. */
export class DatabaseUnavailableError extends ProblemError {
  constructor(retryAfterSeconds: number) {
    super(503, "The database is unavailable; retry later", {
      code: "database_unavailable",
      headers: { "retry-after": String(retryAfterSeconds) },
    });
    this.name = "DatabaseUnavailableError";
  }
}
