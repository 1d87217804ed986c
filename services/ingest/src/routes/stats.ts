// GET /api/v1/recovery/stats: real counts.
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { StatsResponse } from "../schemas/candidates.js";
import { commonErrorResponses } from "../schemas/common.js";

export const statsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { candidates } = app.m10;
  app.get(
    "/stats",
    {
      schema: { tags: ["recovery"], summary: "Candidate counts by decision and execution state", response: { 200: StatsResponse, ...commonErrorResponses } },
      config: { permission: "recovery:read", routeGroup: "recovery" },
    },
    async () => candidates.stats(),
  );
};
