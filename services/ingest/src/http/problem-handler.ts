// The one place that maps errors to HTTP answers: RFC 9457 application/problem+json with a stable
// `code` and the offending `field`. Client input never produces a 500; PostgreSQL being away is a
// 503 with Retry-After.
import type { ErrorObject } from "ajv";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { isDatabaseUnavailable, type Logger } from "@m10/shared";
import { ProblemError } from "../errors.js";
import { describe, fieldOf, LENGTH_KEYWORDS, locationOf } from "./validation.js";

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  field?: string;
  location?: string;
  instance: string;
  request_id: string;
  [member: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  413: "Content Too Large",
  414: "URI Too Long",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

/** Fastify's own client errors, by code. */
const FASTIFY_CLIENT_ERRORS: Record<string, { status: number; code: string }> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: "unsupported_media_type" },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: "body_too_large" },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: "empty_body" },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: "invalid_json" },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: "invalid_content_length" },
  FST_ERR_BAD_URL: { status: 400, code: "invalid_url" },
  FST_ERR_MAX_PARAM_LENGTH: { status: 414, code: "uri_too_long" },
};

interface Classified {
  status: number;
  code: string;
  detail: string;
  field?: string;
  location?: string;
  headers: Record<string, string>;
  extra: Record<string, unknown>;
}

export interface ProblemHandlerOptions {
  logger: Logger;
  retryAfterSeconds: number;
}

function classify(error: unknown, retryAfterSeconds: number): Classified {
  if (error instanceof ProblemError) {
    return {
      status: error.status,
      code: error.code,
      detail: error.message,
      ...(error.field === undefined ? {} : { field: error.field }),
      ...(error.location === undefined ? {} : { location: error.location }),
      headers: error.headers,
      extra: error.extra,
    };
  }
  const fastifyError = error as Partial<FastifyError> & { validation?: ErrorObject[]; validationContext?: string };
  if (Array.isArray(fastifyError.validation) && fastifyError.validation.length > 0) {
    const first = fastifyError.validation[0] as ErrorObject;
    return {
      status: 400,
      code: LENGTH_KEYWORDS.has(first.keyword) ? "value_too_long" : "validation_failed",
      detail: describe(first),
      field: fieldOf(first),
      location: locationOf(fastifyError.validationContext),
      headers: {},
      extra: {},
    };
  }
  const known = typeof fastifyError.code === "string" ? FASTIFY_CLIENT_ERRORS[fastifyError.code] : undefined;
  if (known) return { ...known, detail: fastifyError.message ?? known.code, headers: {}, extra: {} };
  if (isDatabaseUnavailable(error) || fastifyError.code === "57014") {
    return {
      status: 503,
      code: "database_unavailable",
      detail: "The database is unavailable; retry later",
      headers: { "retry-after": String(retryAfterSeconds) },
      extra: {},
    };
  }
  // SQLSTATE class 22 (data exception): a value PostgreSQL cannot store, e.g. \u0000 in a jsonb
  // string or an unpaired surrogate. It came from the request.
  if (typeof fastifyError.code === "string" && /^22[0-9A-Z]{3}$/.test(fastifyError.code)) {
    return { status: 400, code: "invalid_value", detail: "The request contains a value the database cannot store", headers: {}, extra: {} };
  }
  const status = fastifyError.statusCode;
  if (typeof status === "number" && status >= 400 && status < 500) {
    const code = typeof fastifyError.code === "string" ? fastifyError.code.toLowerCase() : "bad_request";
    return { status, code, detail: fastifyError.message ?? "Bad request", headers: {}, extra: {} };
  }
  return { status: 500, code: "internal_error", detail: "An unexpected error occurred", headers: {}, extra: {} };
}

export function problemFor(error: unknown, request: FastifyRequest, retryAfterSeconds: number): { problem: Problem; headers: Record<string, string> } {
  const c = classify(error, retryAfterSeconds);
  const problem: Problem = {
    ...c.extra,
    type: `urn:m10:problem:${c.code}`,
    title: TITLES[c.status] ?? "Error",
    status: c.status,
    detail: c.detail,
    code: c.code,
    ...(c.field === undefined ? {} : { field: c.field }),
    ...(c.location === undefined ? {} : { location: c.location }),
    instance: request.url.split("?")[0] ?? "/",
    request_id: request.id,
  };
  return { problem, headers: c.headers };
}

export function sendProblem(reply: FastifyReply, problem: Problem, headers: Record<string, string>): FastifyReply {
  return reply.code(problem.status).headers(headers).type(PROBLEM_CONTENT_TYPE).send(problem);
}

/**
 * For Fastify's `frameworkErrors` option: errors raised before routing (a path whose
 * percent-encoding is not UTF-8, an over-long parameter) get the same problem+json answer.
 */
export function answerFrameworkError(retryAfterSeconds: number) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void => {
    const { problem, headers } = problemFor(error, request, retryAfterSeconds);
    sendProblem(reply, problem, headers);
  };
}

export function registerProblemHandler(app: FastifyInstance, options: ProblemHandlerOptions): void {
  app.setErrorHandler((error, request, reply) => {
    const { problem, headers } = problemFor(error, request, options.retryAfterSeconds);
    if (problem.status >= 500 && problem.code !== "database_unavailable" && problem.code !== "feature_disabled") {
      options.logger.error({ err: error, request_id: request.id, method: request.method, url: request.url }, "http.unhandled_error");
    } else if (problem.code === "database_unavailable") {
      options.logger.warn({ err: error, request_id: request.id }, "http.database_unavailable");
    }
    return sendProblem(reply, problem, headers);
  });
  app.setNotFoundHandler((request, reply) => {
    const problem: Problem = {
      type: "urn:m10:problem:not_found",
      title: "Not Found",
      status: 404,
      detail: `No route ${request.method} ${request.url.split("?")[0] ?? ""}`,
      code: "not_found",
      instance: request.url.split("?")[0] ?? "/",
      request_id: request.id,
    };
    return sendProblem(reply, problem, {});
  });
}
