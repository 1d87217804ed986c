// POST /api/v1/recovery/evaluate: a dry run of the rule engine; nothing is stored.
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { evaluate, toEvaluateResponse } from "@m10/rules";
import { EvaluateBody, EvaluateResponse } from "../schemas/candidates.js";
import { commonErrorResponses, ProblemSchema } from "../schemas/common.js";

export const evaluateRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    "/evaluate",
    {
      schema: {
        tags: ["recovery"],
        summary: "Evaluate a failure against the default rules without storing anything",
        body: EvaluateBody,
        response: { 200: EvaluateResponse, 415: ProblemSchema, ...commonErrorResponses },
      },
      config: { permission: "recovery:read", routeGroup: "recovery" },
    },
    async (request) => {
      const body = request.body;
      const result = evaluate({
        errorCode: body.error_code,
        errorMessage: body.error_message,
        skillId: body.skill_id ?? null,
        tenantId: body.tenant_id ?? null,
        occurrenceCount: body.occurrence_count,
      });
      return toEvaluateResponse(result);
    },
  );
};
