// A review decision (approve / reject) as one transaction: the decision, its audit and provenance
// rows (recordDecision) and the recovery.approved / recovery.rejected outbox event. The ingest API
// (POST /api/v1/recovery/approve) and the operator console both decide through this.
import { type CandidateRow, type DecisionInput, recordDecision } from "../db/candidates.js";
import type { Pool } from "../db/pool.js";
import { CANDIDATE_AGGREGATE, RECOVERY_APPROVED, RECOVERY_REJECTED } from "./event-types.js";
import { type OutboxPublishMetrics, withOutboxTransaction } from "./publish.js";

/** The decided candidate; undefined when the tenant has no such candidate. */
export async function decideCandidate(pool: Pool, metrics: OutboxPublishMetrics, input: DecisionInput): Promise<CandidateRow | undefined> {
  const { candidateId: id, decision, decidedBy, note } = input;
  const recorded = await withOutboxTransaction(pool, metrics, async (client, publish) => {
    // A decision always has someone behind it: never "system".
    const result = await recordDecision(client, { ...input, actorType: input.actorType === "system" ? "human" : input.actorType });
    if (!result) return undefined;
    await publish({
      aggregateType: CANDIDATE_AGGREGATE,
      aggregateId: String(id),
      eventType: decision === "approved" ? RECOVERY_APPROVED : RECOVERY_REJECTED,
      payload: {
        candidate_id: id,
        failure_match_id: result.candidate.failure_match_id,
        decision,
        old_decision: result.oldDecision,
        decided_by: decidedBy,
        note,
        decided_at: result.candidate.approved_at ? result.candidate.approved_at.toISOString() : null,
      },
    });
    return result;
  });
  return recorded?.candidate;
}
