// POST /api/v1/recovery/ingest and /ingest/batch.
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { FastifyReply, FastifyRequest } from "fastify";
import { loneSurrogateField } from "../http/well-formed-text.js";
import { DEFAULT_TENANT } from "@m10/shared";
import { resolveIdempotencyKey } from "../ingest/idempotency-key.js";
import { commonErrorResponses, ProblemSchema } from "../schemas/common.js";
import { BatchBody, BatchResponse, IngestBody, IngestHeaders, IngestResponse } from "../schemas/ingest.js";

/** The tenant a failure is recorded for: always the token's (no caller ingests for another tenant); "default" without a token. */
const ingestTenant = (request: FastifyRequest) => request.principal?.tenant ?? DEFAULT_TENANT;

export const recoveryIngestRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { config, ingest, metrics, sourceLabel } = app.m10;

  // Counted for every answer of the single route, errors included.
  const recordSingle = (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const status = reply.statusCode === 202 ? "accepted" : reply.statusCode === 200 ? "duplicate" : "error";
    const body = request.body as { source?: unknown } | undefined;
    metrics.recoveryIngestTotal.inc({ status, source: sourceLabel.of(body && typeof body === "object" ? body.source : undefined) });
    metrics.recoveryIngestLatencySeconds.observe({ status }, reply.elapsedTime / 1000);
    done();
  };

  app.post(
    "/ingest",
    {
      schema: {
        tags: ["recovery-ingest"],
        summary: "Accept a failure for recovery evaluation (idempotent)",
        description:
          "202 for a new candidate, 200 with is_duplicate for a known failure or a replayed idempotency key, 422 when the key was used for another failure, 409 when the failure_match_id is another tenant's. The candidate belongs to the token's tenant.",
        headers: IngestHeaders,
        body: IngestBody,
        response: { 200: IngestResponse, 202: IngestResponse, 409: ProblemSchema, 413: ProblemSchema, 415: ProblemSchema, 422: ProblemSchema, ...commonErrorResponses },
      },
      config: { permission: "ingest:write", routeGroup: "ingest" },
      onResponse: recordSingle,
    },
    async (request, reply) => {
      const key = resolveIdempotencyKey(request.body.idempotency_key, request.headers["idempotency-key"]);
      const outcome = await ingest.ingestOne(request.body, key, ingestTenant(request));
      return reply.code(outcome.httpStatus).send(outcome.body);
    },
  );

  app.post(
    "/ingest/batch",
    {
      bodyLimit: config.M10_INGEST_BATCH_MAX_BODY_BYTES,
      schema: {
        tags: ["recovery-ingest"],
        summary: `Accept up to ${config.M10_INGEST_BATCH_MAX_ITEMS} failures in one request`,
        description:
          "Per-item results in request order with the single route's semantics (accepted, duplicate, or rejected with code idempotency_key_reused, failure_match_id_conflict, or invalid_unicode for an item with a lone surrogate). 202 when any item was accepted, else 200.",
        body: BatchBody(config.M10_INGEST_BATCH_MAX_ITEMS),
        response: { 200: BatchResponse, 202: BatchResponse, 413: ProblemSchema, 415: ProblemSchema, ...commonErrorResponses },
      },
      config: { permission: "ingest:write", routeGroup: "ingest", loneSurrogatesPerItem: true },
      onResponse: (_request, reply, done) => {
        if (reply.statusCode >= 400) metrics.recoveryIngestTotal.inc({ status: "error", source: "api" });
        done();
      },
    },
    async (request, reply) => {
      const { items } = request.body;
      const illFormed = new Map(items.flatMap((item, index) => {
        const field = loneSurrogateField(item, `items.${index}`);
        return field === undefined ? [] : [[index, field] as const];
      }));
      const result = await ingest.ingestBatch(items, ingestTenant(request), illFormed);
      return reply.code(result.accepted > 0 ? 202 : 200).send(result);
    },
  );
};
