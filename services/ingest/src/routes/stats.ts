// GET /api/v1/recovery/stats: real counts over the tenant's candidates.
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { candidateTenant } from "../auth/rbac.js";
import { StatsResponse, TenantQuery } from "../schemas/candidates.js";
import { commonErrorResponses } from "../schemas/common.js";

export const statsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { candidates, rbac } = app.m10;
  app.get(
    "/stats",
    {
      schema: {
        tags: ["recovery"],
        summary: "The tenant's candidate counts by decision and execution state",
        querystring: TenantQuery,
        response: { 200: StatsResponse, ...commonErrorResponses },
      },
      config: { permission: "recovery:read", routeGroup: "recovery" },
    },
    async (request) => candidates.stats(candidateTenant(request, request.query.tenant, rbac, "recovery:read")),
  );
};
