// GET /api/v1/recovery/stats: real counts.
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { candidateStats } from "@m10/shared";
import { StatsResponse } from "../schemas/candidates.js";
import { commonErrorResponses } from "../schemas/common.js";

export const statsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { pool } = app.m10;
  app.get(
    "/stats",
    {
      schema: { tags: ["recovery"], summary: "Candidate counts by decision and execution state", response: { 200: StatsResponse, ...commonErrorResponses } },
      config: { permission: "recovery:read", routeGroup: "recovery" },
    },
    async () => {
      const stats = await candidateStats(pool);
      const decided = stats.approved + stats.rejected;
      return { ...stats, approval_rate: decided === 0 ? 0 : Math.round((stats.approved / decided) * 10_000) / 10_000 };
    },
  );
};
