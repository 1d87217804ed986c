// /api/v1/memory/pins (docs/architecture.md §4.6). With RBAC on, the tenant is the token's: a request
// naming another tenant is a 403, so no caller can read or write another tenant's pins.
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { FastifyRequest } from "fastify";
import {
  cleanupExpiredPins,
  deletePin,
  getPin,
  listPins,
  type Permission,
  upsertPin,
} from "@m10/shared";
import { tenantFor } from "../auth/rbac.js";
import { FeatureDisabledError, NotFoundError } from "../errors.js";
import { pinJson } from "../http/wire-format.js";
import { commonErrorResponses, ProblemSchema } from "../schemas/common.js";
import { Pin, PinBody, PinCleanup, PinDeleted, PinList, PinListQuery, PinParams, TenantQuery } from "../schemas/pins.js";

/** The predecessor's tenant when none is named and the caller has no token. */
export const GLOBAL_TENANT = "global";

type Operation = "upsert" | "get" | "list" | "delete" | "cleanup";

export const memoryPinRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { pool, metrics, config, rbac } = app.m10;

  app.addHook("onRequest", async () => {
    if (!config.MEMORY_PINS_ENABLED) throw new FeatureDisabledError("Memory pins (MEMORY_PINS_ENABLED)");
  });

  /** Runs one pin operation with its metrics: success / not_found / error and latency. */
  const measured = async <T>(operation: Operation, work: () => Promise<T>, found: (result: T) => boolean = () => true): Promise<T> => {
    const end = metrics.memoryPinsLatencySeconds.startTimer({ operation });
    try {
      const result = await work();
      metrics.memoryPinsOperationsTotal.inc({ operation, status: found(result) ? "success" : "not_found" });
      return result;
    } catch (error) {
      metrics.memoryPinsOperationsTotal.inc({ operation, status: "error" });
      throw error;
    } finally {
      end();
    }
  };
  const tenant = (request: FastifyRequest, requested: string | undefined, permission: Permission) =>
    tenantFor(request, requested, GLOBAL_TENANT, rbac, permission);
  const auditContext = (request: FastifyRequest) => ({ actor: request.principal?.subject ?? null, requestId: request.id });
  const pinNotFound = (key: string) => new NotFoundError(`Pin not found: ${key}`, "pin_not_found");

  app.post(
    "/pins",
    {
      schema: {
        tags: ["memory"],
        summary: "Create or replace a pin (201 either way)",
        body: PinBody,
        response: { 201: Pin, 415: ProblemSchema, ...commonErrorResponses },
      },
      config: { permission: "pins:write", routeGroup: "pins" },
    },
    async (request, reply) => {
      const body = request.body;
      const tenantId = tenant(request, body.tenant_id, "pins:write");
      const row = await measured("upsert", () =>
        upsertPin(pool, { tenantId, key: body.key, value: body.value, source: body.source ?? "api", ttlSeconds: body.ttl_seconds ?? null }, auditContext(request)),
      );
      return reply.code(201).send(pinJson(row));
    },
  );

  app.get(
    "/pins",
    {
      schema: {
        tags: ["memory"],
        summary: "List a tenant's pins (newest first), optionally by key prefix",
        querystring: PinListQuery,
        response: { 200: PinList, ...commonErrorResponses },
      },
      config: { permission: "pins:read", routeGroup: "pins" },
    },
    async (request) => {
      const q = request.query;
      const tenantId = tenant(request, q.tenant_id, "pins:read");
      const { pins, total } = await measured("list", () =>
        listPins(pool, { tenantId, prefix: q.prefix, limit: q.limit, offset: q.offset, includeExpired: q.include_expired }),
      );
      return { pins: pins.map(pinJson), total, limit: q.limit, offset: q.offset };
    },
  );

  app.post(
    "/pins/cleanup",
    {
      schema: {
        tags: ["memory"],
        summary: "Delete expired pins of the tenant",
        querystring: TenantQuery,
        response: { 200: PinCleanup, ...commonErrorResponses },
      },
      config: { permission: "pins:admin", routeGroup: "pins" },
    },
    async (request) => {
      const requested = request.query.tenant_id;
      // Without credentials (RBAC off) an unnamed tenant means all tenants, as in the predecessor.
      const tenantId = request.principal || requested !== undefined ? tenant(request, requested, "pins:admin") : null;
      const deleted = await measured("cleanup", () => cleanupExpiredPins(pool, tenantId, auditContext(request)));
      return { deleted_count: deleted, tenant_id: tenantId, timestamp: new Date().toISOString() };
    },
  );

  app.get(
    "/pins/:key",
    {
      schema: {
        tags: ["memory"],
        summary: "One pin (404 when missing or expired)",
        params: PinParams,
        querystring: TenantQuery,
        response: { 200: Pin, 404: ProblemSchema, ...commonErrorResponses },
      },
      config: { permission: "pins:read", routeGroup: "pins" },
    },
    async (request) => {
      const tenantId = tenant(request, request.query.tenant_id, "pins:read");
      const row = await measured("get", () => getPin(pool, tenantId, request.params.key, auditContext(request)), (r) => r !== undefined);
      if (!row) throw pinNotFound(request.params.key);
      return pinJson(row);
    },
  );

  app.delete(
    "/pins/:key",
    {
      schema: {
        tags: ["memory"],
        summary: "Delete a pin (expired or not)",
        params: PinParams,
        querystring: TenantQuery,
        response: { 200: PinDeleted, 404: ProblemSchema, ...commonErrorResponses },
      },
      config: { permission: "pins:delete", routeGroup: "pins" },
    },
    async (request) => {
      const tenantId = tenant(request, request.query.tenant_id, "pins:delete");
      const deleted = await measured("delete", () => deletePin(pool, tenantId, request.params.key, auditContext(request)), (d) => d);
      if (!deleted) throw pinNotFound(request.params.key);
      return { deleted: true as const, key: request.params.key, tenant_id: tenantId };
    },
  );
};
