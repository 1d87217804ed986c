// GET /api/v1/recovery/actions: the action catalogue.
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { candidateTenant } from "../auth/rbac.js";
import { listActions } from "../db/action-catalogue.js";
import { actionJson } from "../http/wire-format.js";
import { ActionList, ActionListQuery } from "../schemas/candidates.js";
import { commonErrorResponses } from "../schemas/common.js";

export const actionRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { pool, rbac } = app.m10;
  app.get(
    "/actions",
    {
      schema: {
        tags: ["recovery"],
        summary: "The recovery action catalogue (priority desc, then name), with the tenant's own success rates",
        querystring: ActionListQuery,
        response: { 200: ActionList, ...commonErrorResponses },
      },
      config: { permission: "recovery:read", routeGroup: "recovery" },
    },
    async (request) => {
      const q = request.query;
      const { actions, total } = await listActions(pool, {
        tenantId: candidateTenant(request, q.tenant, rbac, "recovery:read"),
        actionType: q.action_type,
        activeOnly: q.active_only,
        limit: q.limit,
      });
      return { actions: actions.map(actionJson), total };
    },
  );
};
