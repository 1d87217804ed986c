// GET/PATCH/DELETE /api/v1/recovery/candidates, POST /approve.
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { FastifyRequest } from "fastify";
import { CANDIDATE_AGGREGATE, publishOutbox, RECOVERY_APPROVED, RECOVERY_OUTCOME_REPORTED, RECOVERY_REJECTED, withTransaction, candidateInputs, candidateProvenance, getCandidate, listCandidates, recordDecision, recordExecutionOutcome, selectedAction, type ActorType, type CandidateRow, type Decision } from "@m10/shared";
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

const FOREIGN_KEY_VIOLATION = "23503";

/** Who reports: the token's subject (agents report outcomes with the machine role). */
function actorOf(request: FastifyRequest, fallback: string): { actor: string; actorType: ActorType } {
  const principal = request.principal;
  if (!principal) return { actor: fallback, actorType: "system" };
  return { actor: principal.subject, actorType: principal.roles.includes("machine") ? "agent" : "human" };
}

export const recoveryCandidateRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { pool, metrics } = app.m10;
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
      const { candidates, total } = await listCandidates(pool, {
        ...(wanted === "all" ? {} : { decision: wanted }),
        ...(q.error_code === undefined ? {} : { errorCode: q.error_code }),
        ...(q.source === undefined ? {} : { source: q.source }),
        ...(q.since === undefined ? {} : { since: new Date(q.since) }),
        limit: q.limit,
        offset: q.offset,
      });
      return { candidates: candidates.map(candidateJson), total, limit: q.limit, offset: q.offset };
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
      const row = await getCandidate(pool, id);
      if (!row) throw notFound(id);
      const [action, inputs, provenance] = await Promise.all([
        row.selected_action_id === null ? undefined : selectedAction(pool, row.selected_action_id),
        request.query.include_inputs ? candidateInputs(pool, id) : [],
        request.query.include_provenance ? candidateProvenance(pool, id) : [],
      ]);
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
      const { actor, actorType } = actorOf(request, "api");
      let row: CandidateRow | undefined;
      try {
        row = await withTransaction(pool, async (client) => {
          const updated = await recordExecutionOutcome(client, {
            candidateId: id,
            ...(body.execution_status === undefined ? {} : { executionStatus: body.execution_status }),
            ...(body.selected_action_id === undefined ? {} : { selectedActionId: body.selected_action_id }),
            ...(body.execution_result === undefined ? {} : { executionResult: body.execution_result }),
            ...(body.note === undefined ? {} : { note: body.note }),
            actor,
            actorType,
          });
          if (!updated) return undefined;
          await publishOutbox(client, {
            aggregateType: CANDIDATE_AGGREGATE,
            aggregateId: String(id),
            eventType: RECOVERY_OUTCOME_REPORTED,
            payload: {
              candidate_id: id,
              failure_match_id: updated.failure_match_id,
              execution_status: updated.execution_status,
              selected_action_id: updated.selected_action_id,
              execution_result: updated.execution_result ?? null,
              executed_at: iso(updated.executed_at),
              note: body.note ?? null,
              reported_by: actor,
            },
          });
          return updated;
        });
      } catch (error) {
        if ((error as { code?: string }).code === FOREIGN_KEY_VIOLATION) {
          throw new BadRequestError(`No action with id ${body.selected_action_id}`, { code: "unknown_action", field: "selected_action_id", location: "body" });
        }
        throw error;
      }
      if (!row) throw notFound(id);
      metrics.m10OutboxPublishedTotal.inc({ aggregate_type: CANDIDATE_AGGREGATE, event_type: RECOVERY_OUTCOME_REPORTED });
      return { status: "updated" as const, candidate_id: id, updates_applied: applied, execution_status: row.execution_status, executed_at: iso(row.executed_at) };
    },
  );

  /** approve / reject / delete: decision + audit + provenance + outbox event, one transaction. */
  const decide = async (request: FastifyRequest, id: number, decision: Decision, decidedBy: string, note: string) => {
    const { actorType } = actorOf(request, decidedBy);
    const eventType = decision === "approved" ? RECOVERY_APPROVED : RECOVERY_REJECTED;
    const result = await withTransaction(pool, async (client) => {
      const recorded = await recordDecision(client, {
        candidateId: id,
        decision,
        decidedBy,
        note,
        actorType: actorType === "system" ? "human" : actorType,
        details: { request_id: request.id, subject: request.principal?.subject ?? null },
      });
      if (!recorded) return undefined;
      await publishOutbox(client, {
        aggregateType: CANDIDATE_AGGREGATE,
        aggregateId: String(id),
        eventType,
        payload: {
          candidate_id: id,
          failure_match_id: recorded.candidate.failure_match_id,
          decision,
          old_decision: recorded.oldDecision,
          decided_by: decidedBy,
          note,
          decided_at: iso(recorded.candidate.approved_at),
        },
      });
      return recorded;
    });
    if (!result) throw notFound(id);
    metrics.recoveryApprovalsTotal.inc({ decision });
    metrics.m10OutboxPublishedTotal.inc({ aggregate_type: CANDIDATE_AGGREGATE, event_type: eventType });
    return result.candidate;
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
