// Dispatch from a rule to the evaluator of its kind.
import { evaluateCompositeRule } from "./rules/composite-rule.js";
import { evaluateCustomRule } from "./rules/custom-rule.js";
import { evaluateErrorCodeRule } from "./rules/error-code-rule.js";
import { evaluateHistoricalPatternRule } from "./rules/historical-pattern-rule.js";
import { evaluateOccurrenceThresholdRule } from "./rules/occurrence-threshold-rule.js";
import { evaluateSkillSpecificRule } from "./rules/skill-specific-rule.js";
import type { ResolvedRuleContext, Rule, RuleResult } from "./types.js";

/** Evaluates one rule. May throw (custom rules, bad composites); `evaluate` turns that into a result. */
export function evaluateRule(rule: Rule, context: ResolvedRuleContext): RuleResult {
  switch (rule.kind) {
    case "error_code":
      return evaluateErrorCodeRule(rule, context);
    case "historical_pattern":
      return evaluateHistoricalPatternRule(rule, context);
    case "skill_specific":
      return evaluateSkillSpecificRule(rule, context);
    case "occurrence_threshold":
      return evaluateOccurrenceThresholdRule(rule, context);
    case "composite":
      return evaluateCompositeRule(rule, context, evaluateRule);
    case "custom":
      return evaluateCustomRule(rule, context);
    default: {
      const unknown: never = rule;
      throw new TypeError(`unknown rule kind: ${String((unknown as { kind?: unknown }).kind)}`);
    }
  }
}
