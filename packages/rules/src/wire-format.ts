// The snake_case JSON shapes of the HTTP API and jsonb columns, and the converters to them.
import type { EvaluationResult, JsonObject, RuleResult } from "./types.js";

/** One entry of `recovery_candidates.rules_evaluated` and of POST /evaluate's `rules_evaluated`. */
export type RuleResultJson = {
  rule_id: string;
  rule_name: string;
  matched: boolean;
  score: number;
  action_code: string | null;
  explanation: string;
  confidence_adjustment: number;
  metadata: JsonObject;
};

/** The body of `POST /api/v1/recovery/evaluate`. */
export type EvaluateResponseJson = {
  recommended_action: string | null;
  confidence: number;
  total_score: number;
  rules_evaluated: RuleResultJson[];
  explanation: string;
  duration_ms: number;
};

export function ruleResultToJson(result: RuleResult): RuleResultJson {
  return {
    rule_id: result.ruleId,
    rule_name: result.ruleName,
    matched: result.matched,
    score: result.score,
    action_code: result.actionCode,
    explanation: result.explanation,
    confidence_adjustment: result.confidenceAdjustment,
    metadata: result.metadata,
  };
}

/** The value for the `rules_evaluated` jsonb column. */
export function rulesEvaluatedJson(result: Pick<EvaluationResult, "rulesEvaluated">): RuleResultJson[] {
  return result.rulesEvaluated.map(ruleResultToJson);
}

export function toEvaluateResponse(result: EvaluationResult): EvaluateResponseJson {
  return {
    recommended_action: result.actionCode,
    confidence: result.confidence,
    total_score: result.score,
    rules_evaluated: rulesEvaluatedJson(result),
    explanation: result.explanation,
    duration_ms: result.durationMs,
  };
}
