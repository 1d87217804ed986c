// GET/PATCH/DELETE /api/v1/recovery/candidates, GET .../provenance, POST /approve: schemas,
// parsing and status codes; what they do is CandidateService's. Every route acts on the tenant of
// the token (candidateTenant): another tenant's candidate is a 404, exactly like a missing one.
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { FastifyRequest } from "fastify";
import type { ActorType, Decision } from "@m10/shared";
import { candidateTenant } from "../auth/rbac.js";
import { BadRequestError, NotFoundError } from "../errors.js";
import { decodeCursor, nextCursor } from "../http/cursor.js";
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
  ProvenancePage,
  ProvenanceQuery,
  TenantQuery,
} from "../schemas/candidates.js";

/** Who reports: the token's subject (agents report outcomes with the machine role). */
function actorOf(request: FastifyRequest, fallback: string): { actor: string; actorType: ActorType } {
  const principal = request.principal;
  if (!principal) return { actor: fallback, actorType: "system" };
  return { actor: principal.subject, actorType: principal.roles.includes("machine") ? "agent" : "human" };
}

export const recoveryCandidateRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { candidates, rbac } = app.m10;
  const read = { permission: "recovery:read", routeGroup: "recovery" } as const;
  const notFound = (id: number) => new NotFoundError(`Candidate ${id} not found`, "candidate_not_found");

  app.get(
    "/candidates",
    {
      schema: {
        tags: ["recovery"],
        summary: "List the tenant's candidates, newest first, a keyset page at a time (next_cursor)",
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
      if (q.offset !== undefined && q.offset > 0) {
        throw new BadRequestError("offset paging is not supported: pass the previous page's next_cursor as ?cursor=", {
          code: "offset_unsupported",
          field: "offset",
          location: "query",
        });
      }
      const wanted = q.decision ?? q.status ?? "pending";
      const page = await candidates.list({
        tenantId: candidateTenant(request, q.tenant, rbac, "recovery:read"),
        ...(wanted === "all" ? {} : { decision: wanted }),
        errorCode: q.error_code,
        source: q.source,
        since: q.since === undefined ? undefined : new Date(q.since),
        limit: q.limit,
        ...(q.cursor === undefined ? {} : { beforeId: decodeCursor(q.cursor) }),
      });
      return { candidates: page.rows.map(candidateJson), limit: q.limit, next_cursor: nextCursor(page.rows, page.hasMore) };
    },
  );

  app.get(
    "/candidates/:id",
    {
      schema: {
        tags: ["recovery"],
        summary: "One candidate with its selected action, inputs and the first provenance_limit provenance rows",
        params: CandidateParams,
        querystring: CandidateDetailQuery,
        response: { 200: CandidateDetail, 404: ProblemSchema, ...commonErrorResponses },
      },
      config: read,
    },
    async (request) => {
      const { id } = request.params;
      const q = request.query;
      const tenantId = candidateTenant(request, q.tenant, rbac, "recovery:read");
      const detail = await candidates.detail(id, tenantId, { inputs: q.include_inputs, provenance: q.include_provenance, provenanceLimit: q.provenance_limit });
      if (!detail) throw notFound(id);
      const { candidate: row, action, inputs, provenance } = detail;
      return {
        ...candidateJson(row),
        selected_action: action ? actionJson(action) : null,
        inputs: inputs.map(inputJson),
        provenance: provenance ? provenance.rows.map(provenanceJson) : [],
        provenance_next_cursor: provenance ? nextCursor(provenance.rows, provenance.hasMore) : null,
        rules_evaluated: row.rules_evaluated ?? [],
        executed_at: iso(row.executed_at),
        execution_result: row.execution_result ?? null,
      };
    },
  );

  app.get(
    "/candidates/:id/provenance",
    {
      schema: {
        tags: ["recovery"],
        summary: "A candidate's provenance, oldest first, a keyset page at a time (next_cursor)",
        params: CandidateParams,
        querystring: ProvenanceQuery,
        response: { 200: ProvenancePage, 404: ProblemSchema, ...commonErrorResponses },
      },
      config: read,
    },
    async (request) => {
      const { id } = request.params;
      const q = request.query;
      const tenantId = candidateTenant(request, q.tenant, rbac, "recovery:read");
      const page = await candidates.provenance(id, tenantId, { limit: q.limit, ...(q.cursor === undefined ? {} : { afterId: decodeCursor(q.cursor) }) });
      if (!page) throw notFound(id);
      return { candidate_id: id, provenance: page.rows.map(provenanceJson), next_cursor: nextCursor(page.rows, page.hasMore) };
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
        querystring: TenantQuery,
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
      const tenantId = candidateTenant(request, request.query.tenant, rbac, "recovery:write");
      const result = await candidates.reportOutcome(id, tenantId, {
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

  /**
   * approve / reject / delete. The decider is the token's subject; a name in the body is only a
   * note (named_reviewer in the provenance details), and the actor without a token (RBAC off).
   */
  const decide = async (request: FastifyRequest, tenant: string | undefined, id: number, decision: Decision, note: string, namedReviewer?: string) => {
    const { actor, actorType } = actorOf(request, namedReviewer ?? "api");
    const decided = await candidates.decide({
      candidateId: id,
      tenantId: candidateTenant(request, tenant, rbac, "recovery:approve"),
      decision,
      decidedBy: actor,
      note,
      actorType,
      requestId: request.id,
      subject: request.principal?.subject ?? null,
      namedReviewer: request.principal ? namedReviewer : undefined,
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
        querystring: TenantQuery,
        body: ApproveBody,
        response: { 200: Candidate, 404: ProblemSchema, 415: ProblemSchema, ...commonErrorResponses },
      },
      config: { permission: "recovery:approve", routeGroup: "recovery" },
    },
    async (request) => {
      const body = request.body;
      return candidateJson(await decide(request, request.query.tenant, body.candidate_id, body.decision, body.note ?? "", body.approved_by));
    },
  );

  app.delete(
    "/candidates/:id",
    {
      schema: {
        tags: ["recovery"],
        summary: "Soft delete: the candidate is rejected (note \"Revoked via admin delete\")",
        params: CandidateParams,
        querystring: TenantQuery,
        response: { 200: DeleteResponse, 404: ProblemSchema, ...commonErrorResponses },
      },
      config: { permission: "recovery:approve", routeGroup: "recovery" },
    },
    async (request) => {
      const { id } = request.params;
      await decide(request, request.query.tenant, id, "rejected", "Revoked via admin delete", request.principal ? undefined : "admin");
      return { status: "deleted" as const, candidate_id: id };
    },
  );
};
