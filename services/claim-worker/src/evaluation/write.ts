// The evaluation transaction's statements (docs/architecture.md §1, write): candidate fields, suggestion_input,
// suggestion_provenance and the outbox events for a whole batch, each a single multi-row
// statement. Call inside one transaction.
import { type OutboxEventInput, publishOutboxMany, type Queryable } from "@m10/shared";
import { outboxEventsFor, type EvaluationPlan } from "./plan.js";

export interface WrittenEvaluations {
  /** Candidates whose evaluation was written, with their evaluated_at. */
  written: Map<number, Date>;
  events: OutboxEventInput[];
}

// "(evaluated_at IS NULL) IS TRUE" means "evaluated_at IS NULL", written so that the planner
// cannot use the partial index idx_rc_needs_evaluation (WHERE evaluated_at IS NULL): after a bulk
// backlog its statistics lag far behind, and it would scan every unevaluated candidate instead of
// looking the batch's ids up in the primary key.

/**
 * Writes the evaluations whose lease `holder` still holds on a still-unevaluated candidate.
 * The UPDATE takes the row locks and re-checks both conditions after any wait, so a candidate
 * is written once whatever races happen; rows for candidates it did not update are not written.
 */
export async function writeEvaluations(db: Queryable, plans: readonly EvaluationPlan[], holder: string): Promise<WrittenEvaluations> {
  if (plans.length === 0) return { written: new Map(), events: [] };
  const updated = await db.query<{ id: number; evaluated_at: Date }>(
    `UPDATE public.recovery_candidates rc
        SET suggestion = v.suggestion,
            confidence = v.confidence,
            selected_action_id = v.action_id,
            rules_evaluated = v.rules_evaluated,
            explain = v.explain,
            evaluated_at = now(),
            evaluation_claimed_at = NULL,
            evaluation_claimed_by = NULL,
            execution_status = CASE WHEN v.auto_execute AND rc.execution_status IS NULL THEN 'pending' ELSE rc.execution_status END
       FROM jsonb_to_recordset($1::jsonb) AS v(id int, suggestion text, confidence real, action_id int,
                                                rules_evaluated jsonb, explain jsonb, auto_execute boolean)
      WHERE rc.id = v.id
        AND (rc.evaluated_at IS NULL) IS TRUE
        AND rc.evaluation_claimed_by = $2
     RETURNING rc.id, rc.evaluated_at`,
    [JSON.stringify(plans.map((plan) => plan.update)), holder],
  );
  const written = new Map(updated.rows.map((row) => [row.id, row.evaluated_at]));
  const kept = plans.filter((plan) => written.has(plan.candidateId));
  if (kept.length === 0) return { written, events: [] };

  await db.query(
    `INSERT INTO m10_recovery.suggestion_input
       (suggestion_id, recovery_candidate_id, input_type, raw_value, normalized_value, parsed_data, confidence, weight, source)
     SELECT suggestion_id, recovery_candidate_id, input_type, raw_value, normalized_value, parsed_data, confidence, weight, source
       FROM jsonb_to_recordset($1::jsonb) AS r(suggestion_id int, recovery_candidate_id int, input_type text, raw_value text,
                                               normalized_value text, parsed_data jsonb, confidence real, weight real, source text)`,
    [JSON.stringify(kept.flatMap((plan) => plan.inputs))],
  );
  await db.query(
    `INSERT INTO m10_recovery.suggestion_provenance
       (suggestion_id, event_type, details, rule_id, action_id, confidence_before, confidence_after, actor, actor_type, duration_ms)
     SELECT suggestion_id, event_type, details, rule_id, action_id, confidence_before, confidence_after, actor, actor_type, duration_ms
       FROM ROWS FROM (jsonb_to_recordset($1::jsonb) AS (suggestion_id int, event_type text, details jsonb, rule_id text,
                                                         action_id int, confidence_before real, confidence_after real,
                                                         actor text, actor_type text, duration_ms int))
            WITH ORDINALITY AS r(suggestion_id, event_type, details, rule_id, action_id, confidence_before, confidence_after,
                                 actor, actor_type, duration_ms, ord)
      ORDER BY ord`,
    [JSON.stringify(kept.flatMap((plan) => plan.provenance))],
  );
  const events = kept.flatMap((plan) => outboxEventsFor(plan, written.get(plan.candidateId) as Date));
  await publishOutboxMany(db, events);
  return { written, events };
}
