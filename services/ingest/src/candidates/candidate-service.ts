// The candidate use cases behind /candidates, /approve and /stats: reading candidates, and the
// two state changes (a review decision, an execution outcome), each committed together with its
// outbox event and counted once committed. HTTP stays in routes/: this returns what happened.
import {
  type ActionRow,
  type ActorType,
  CANDIDATE_AGGREGATE,
  type CandidateFilter,
  candidateInputs,
  candidateProvenance,
  type CandidateRow,
  candidateStats,
  decideCandidate,
  type Decision,
  type ExecutionOutcomeInput,
  getCandidate,
  type InputRow,
  listCandidates,
  type Page,
  type Pool,
  type ProvenanceRow,
  recordExecutionOutcome,
  RECOVERY_OUTCOME_REPORTED,
  selectedAction,
  type ServiceMetrics,
  withOutboxTransaction,
} from "@m10/shared";
import { iso } from "../http/wire-format.js";

const FOREIGN_KEY_VIOLATION = "23503";

export interface CandidateServiceDeps {
  pool: Pool;
  metrics: Pick<ServiceMetrics<"ingest">, "recoveryApprovalsTotal" | "m10OutboxPublishedTotal">;
}

export interface CandidateDetail {
  candidate: CandidateRow;
  action: ActionRow | undefined;
  inputs: InputRow[];
  /** The first page of the provenance (absent when not asked for). */
  provenance: Page<ProvenanceRow> | undefined;
}

export type OutcomeReport = Omit<ExecutionOutcomeInput, "candidateId" | "tenantId">;

export type OutcomeResult = { status: "updated"; candidate: CandidateRow } | { status: "not_found" } | { status: "unknown_action" };

export interface DecisionRequest {
  candidateId: number;
  tenantId: string;
  decision: Decision;
  decidedBy: string;
  note: string;
  actorType: ActorType;
  /** Written to the audit details, to find the request that made the decision. */
  requestId: string;
  subject: string | null;
  /** The body's approved_by when a token decided: a note in the provenance details, never the actor. */
  namedReviewer?: string | undefined;
}

export class CandidateService {
  constructor(private readonly deps: CandidateServiceDeps) {}

  list(filter: CandidateFilter): Promise<Page<CandidateRow>> {
    return listCandidates(this.deps.pool, filter);
  }

  /** A tenant's candidate with its action, inputs and the first `provenanceLimit` provenance rows; undefined when it is not the tenant's. */
  async detail(id: number, tenantId: string, include: { inputs: boolean; provenance: boolean; provenanceLimit: number }): Promise<CandidateDetail | undefined> {
    const { pool } = this.deps;
    const candidate = await getCandidate(pool, id, tenantId);
    if (!candidate) return undefined;
    const [action, inputs, provenance] = await Promise.all([
      candidate.selected_action_id === null ? undefined : selectedAction(pool, candidate.selected_action_id, tenantId),
      include.inputs ? candidateInputs(pool, id) : [],
      include.provenance ? candidateProvenance(pool, id, { limit: include.provenanceLimit }) : undefined,
    ]);
    return { candidate, action, inputs, provenance };
  }

  /** A page of a tenant's candidate's provenance after the row `afterId`; undefined when the candidate is not the tenant's. */
  async provenance(id: number, tenantId: string, page: { limit: number; afterId?: number }): Promise<Page<ProvenanceRow> | undefined> {
    const candidate = await getCandidate(this.deps.pool, id, tenantId);
    return candidate ? candidateProvenance(this.deps.pool, id, page) : undefined;
  }

  /** The agent platform's execution report: candidate fields, a provenance row and recovery.outcome_reported. */
  async reportOutcome(candidateId: number, tenantId: string, report: OutcomeReport): Promise<OutcomeResult> {
    try {
      const updated = await withOutboxTransaction(this.deps.pool, this.deps.metrics, async (client, publish) => {
        const row = await recordExecutionOutcome(client, { candidateId, tenantId, ...report });
        if (!row) return undefined;
        await publish({
          aggregateType: CANDIDATE_AGGREGATE,
          aggregateId: String(candidateId),
          eventType: RECOVERY_OUTCOME_REPORTED,
          payload: {
            candidate_id: candidateId,
            failure_match_id: row.failure_match_id,
            execution_status: row.execution_status,
            selected_action_id: row.selected_action_id,
            execution_result: row.execution_result ?? null,
            executed_at: iso(row.executed_at),
            note: report.note ?? null,
            reported_by: report.actor,
          },
        });
        return row;
      });
      return updated ? { status: "updated", candidate: updated } : { status: "not_found" };
    } catch (error) {
      // The only foreign key the report writes is selected_action_id.
      if ((error as { code?: string }).code === FOREIGN_KEY_VIOLATION) return { status: "unknown_action" };
      throw error;
    }
  }

  /** Approve / reject (delete is a reject): decision, audit, provenance and the outbox event. Undefined for an unknown candidate. */
  async decide(request: DecisionRequest): Promise<CandidateRow | undefined> {
    const { decision } = request;
    const candidate = await decideCandidate(this.deps.pool, this.deps.metrics, {
      candidateId: request.candidateId,
      tenantId: request.tenantId,
      decision,
      decidedBy: request.decidedBy,
      note: request.note,
      actorType: request.actorType,
      details: { request_id: request.requestId, subject: request.subject, ...(request.namedReviewer === undefined ? {} : { named_reviewer: request.namedReviewer }) },
    });
    if (!candidate) return undefined;
    this.deps.metrics.recoveryApprovalsTotal.inc({ decision });
    return candidate;
  }

  /** A tenant's counts by decision and execution state, and approved / (approved + rejected) to 4 decimals. */
  async stats(tenantId: string) {
    const stats = await candidateStats(this.deps.pool, tenantId);
    const decided = stats.approved + stats.rejected;
    return { ...stats, approval_rate: decided === 0 ? 0 : Math.round((stats.approved / decided) * 10_000) / 10_000 };
  }
}
