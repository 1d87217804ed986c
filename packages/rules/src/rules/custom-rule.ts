// Custom rule: any pure function of the context, for rules the built-in kinds cannot express.
import type { CustomRule, CustomRuleOutcome, ResolvedRuleContext, RuleResult } from "../types.js";
import { ruleCommon, type RuleOptions } from "./rule-common.js";

export function customRule(
  options: RuleOptions & { evaluate: (context: ResolvedRuleContext) => CustomRuleOutcome },
): CustomRule {
  return Object.freeze({ kind: "custom", ...ruleCommon(options), evaluate: options.evaluate });
}

export function evaluateCustomRule(rule: CustomRule, context: ResolvedRuleContext): RuleResult {
  const outcome = rule.evaluate(context);
  const score = outcome.score ?? 0;
  if (outcome.matched && !(Number.isFinite(score) && score >= 0)) {
    throw new RangeError(`score must be a finite number >= 0, got ${score}`);
  }
  return {
    ruleId: rule.id,
    ruleName: rule.name,
    matched: outcome.matched,
    score: outcome.matched ? score * rule.weight : 0,
    actionCode: outcome.matched ? (outcome.actionCode ?? null) : null,
    explanation: outcome.explanation ?? "",
    confidenceAdjustment: outcome.matched ? (outcome.confidenceAdjustment ?? 0) : 0,
    metadata: outcome.metadata ?? {},
  };
}
