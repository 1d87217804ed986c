// The `explain` jsonb of an evaluated candidate: what the engine decided and which rules drove it.
import { roundHalfEven } from "./rounding.js";
import type { EvaluationExplain, ResolvedRuleContext, RuleResult } from "./types.js";

export function buildExplain(fields: {
  context: ResolvedRuleContext;
  /** Matched results in ranking order. */
  ranked: readonly RuleResult[];
  selected: RuleResult | null;
  score: number;
  confidence: number;
  explanation: string;
}): EvaluationExplain {
  const { context } = fields;
  return {
    method: "rule_engine",
    recommended_action: fields.selected?.actionCode ?? null,
    selected_rule_id: fields.selected?.ruleId ?? null,
    total_score: fields.score,
    confidence: fields.confidence,
    explanation: fields.explanation,
    matched_rules: fields.ranked.map((result) => ({
      rule_id: result.ruleId,
      rule_name: result.ruleName,
      score: roundHalfEven(result.score, 4),
      action_code: result.actionCode,
      confidence_adjustment: roundHalfEven(result.confidenceAdjustment, 4),
      explanation: result.explanation,
    })),
    context: {
      error_code: context.errorCode,
      skill_id: context.skillId,
      tenant_id: context.tenantId,
      occurrence_count: context.occurrenceCount,
      historical_matches: context.historicalMatches.length,
    },
  };
}
