// GET/PATCH/DELETE /api/v1/recovery/candidates, POST /approve: schemas, parsing and status
// codes; what they do is CandidateService's.
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { FastifyRequest } from "fastify";
import type { ActorType, Decision } from "@m10/shared";
import { BadRequestError, NotFoundError } from "../errors.js";
import { actionJson, candidateJson, inputJson, iso, provenanceJson } from "../http/wire-format.js";
import { commonErrorResponses, ProblemSchema } from "../schemas/common.js";
import {
  ApproveBody,
  Candidate,
  CandidateDetail,
  CandidateDetailQuery,
  CandidateList,
  CandidateListQuery,
  CandidateParams,
  DeleteResponse,
  OutcomeBody,
  OutcomeResponse,
} from "../schemas/candidates.js";

/** Who reports: the token's subject (agents report outcomes with the machine role). */
function actorOf(request: FastifyRequest, fallback: string): { actor: string; actorType: ActorType } {
  const principal = request.principal;
  if (!principal) return { actor: fallback, actorType: "system" };
  return { actor: principal.subject, actorType: principal.roles.includes("machine") ? "agent" : "human" };
}

export const recoveryCandidateRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { candidates } = app.m10;
  const read = { permission: "recovery:read", routeGroup: "recovery" } as const;
  const notFound = (id: number) => new NotFoundError(`Candidate ${id} not found`, "candidate_not_found");

  app.get(
    "/candidates",
    {
      schema: {
        tags: ["recovery"],
        summary: "List candidates (newest first) with the real total",
        querystring: CandidateListQuery,
        response: { 200: CandidateList, ...commonErrorResponses },
      },
      config: read,
    },
    async (request) => {
      const q = request.query;
      if (q.status !== undefined && q.decision !== undefined && q.status !== q.decision) {
        throw new BadRequestError("status and decision disagree", { code: "conflicting_filters", field: "decision", location: "query" });
      }
      const wanted = q.decision ?? q.status ?? "pending";
      const page = await candidates.list({
        ...(wanted === "all" ? {} : { decision: wanted }),
        errorCode: q.error_code,
        source: q.source,
        since: q.since === undefined ? undefined : new Date(q.since),
        limit: q.limit,
        offset: q.offset,
      });
      return { candidates: page.candidates.map(candidateJson), total: page.total, limit: q.limit, offset: q.offset };
    },
  );

  app.get(
    "/candidates/:id",
    {
      schema: {
        tags: ["recovery"],
        summary: "One candidate with its selected action, inputs and provenance",
        params: CandidateParams,
        querystring: CandidateDetailQuery,
        response: { 200: CandidateDetail, 404: ProblemSchema, ...commonErrorResponses },
      },
      config: read,
    },
    async (request) => {
      const { id } = request.params;
      const detail = await candidates.detail(id, { inputs: request.query.include_inputs, provenance: request.query.include_provenance });
      if (!detail) throw notFound(id);
      const { candidate: row, action, inputs, provenance } = detail;
      return {
        ...candidateJson(row),
        selected_action: action ? actionJson(action) : null,
        inputs: inputs.map(inputJson),
        provenance: provenance.map(provenanceJson),
        rules_evaluated: row.rules_evaluated ?? [],
        executed_at: iso(row.executed_at),
        execution_result: row.execution_result ?? null,
      };
    },
  );

  app.patch(
    "/candidates/:id",
    {
      schema: {
        tags: ["recovery"],
        summary: "Report an execution outcome (agent platform)",
        description: "Writes a provenance row and a recovery.outcome_reported outbox event in the same transaction.",
        params: CandidateParams,
        body: OutcomeBody,
        response: { 200: OutcomeResponse, 404: ProblemSchema, 415: ProblemSchema, ...commonErrorResponses },
      },
      config: { permission: "recovery:write", routeGroup: "recovery" },
    },
    async (request) => {
      const { id } = request.params;
      const body = request.body;
      const applied = (["execution_status", "selected_action_id", "execution_result"] as const).filter((field) => body[field] !== undefined);
      if (applied.length === 0) {
        throw new BadRequestError("Provide execution_status, selected_action_id or execution_result", { code: "no_updates", location: "body" });
      }
      const result = await candidates.reportOutcome(id, {
        executionStatus: body.execution_status,
        selectedActionId: body.selected_action_id,
        executionResult: body.execution_result,
        note: body.note,
        ...actorOf(request, "api"),
      });
      if (result.status === "unknown_action") {
        throw new BadRequestError(`No action with id ${body.selected_action_id}`, { code: "unknown_action", field: "selected_action_id", location: "body" });
      }
      if (result.status === "not_found") throw notFound(id);
      const row = result.candidate;
      return { status: "updated" as const, candidate_id: id, updates_applied: applied, execution_status: row.execution_status, executed_at: iso(row.executed_at) };
    },
  );

  /** approve / reject / delete */
  const decide = async (request: FastifyRequest, id: number, decision: Decision, decidedBy: string, note: string) => {
    const decided = await candidates.decide({
      candidateId: id,
      decision,
      decidedBy,
      note,
      actorType: actorOf(request, decidedBy).actorType,
      requestId: request.id,
      subject: request.principal?.subject ?? null,
    });
    if (!decided) throw notFound(id);
    return decided;
  };

  app.post(
    "/approve",
    {
      schema: {
        tags: ["recovery"],
        summary: "Record a human review decision (approved | rejected)",
        body: ApproveBody,
        response: { 200: Candidate, 404: ProblemSchema, 415: ProblemSchema, ...commonErrorResponses },
      },
      config: { permission: "recovery:approve", routeGroup: "recovery" },
    },
    async (request) => {
      const body = request.body;
      const decidedBy = body.approved_by ?? request.principal?.subject ?? "api";
      return candidateJson(await decide(request, body.candidate_id, body.decision, decidedBy, body.note ?? ""));
    },
  );

  app.delete(
    "/candidates/:id",
    {
      schema: {
        tags: ["recovery"],
        summary: "Soft delete: the candidate is rejected (note \"Revoked via admin delete\")",
        params: CandidateParams,
        response: { 200: DeleteResponse, 404: ProblemSchema, ...commonErrorResponses },
      },
      config: { permission: "recovery:approve", routeGroup: "recovery" },
    },
    async (request) => {
      const { id } = request.params;
      await decide(request, id, "rejected", request.principal?.subject ?? "admin", "Revoked via admin delete");
      return { status: "deleted" as const, candidate_id: id };
    },
  );
};
