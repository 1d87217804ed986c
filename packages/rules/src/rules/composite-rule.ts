// Composite rule: AND/OR over sub-rules.
import { ruleResultToJson } from "../wire-format.js";
import type { CompositeRule, ResolvedRuleContext, Rule, RuleResult } from "../types.js";
import { ruleCommon, type RuleOptions } from "./rule-common.js";

export function compositeRule(
  options: RuleOptions & { rules: readonly Rule[]; logic?: "and" | "or" },
): CompositeRule {
  const common = ruleCommon(options);
  // An empty AND would be vacuously true with no score to take the minimum of.
  if (options.rules.length === 0) throw new RangeError(`rule ${common.id}: rules must not be empty`);
  return Object.freeze({
    kind: "composite",
    ...common,
    rules: Object.freeze([...options.rules]),
    logic: options.logic ?? "and",
  });
}

/**
 * Sub-rule errors propagate, so the engine reports the whole composite as an evaluation error.
 * Sub-rule confidence adjustments are deliberately not propagated (predecessor behaviour).
 */
export function evaluateCompositeRule(
  rule: CompositeRule,
  context: ResolvedRuleContext,
  evaluateSubRule: (subRule: Rule, context: ResolvedRuleContext) => RuleResult,
): RuleResult {
  const results = rule.rules.map((subRule) => evaluateSubRule(subRule, context));
  const scores = results.map((result) => result.score);
  const matched = rule.logic === "and" ? results.every((r) => r.matched) : results.some((r) => r.matched);
  const score = !matched ? 0 : rule.logic === "and" ? Math.min(...scores) : Math.max(...scores);

  // Array.prototype.sort is stable, so equal scores keep sub-rule order.
  const best = [...results]
    .sort((a, b) => b.score - a.score)
    .find((result) => result.matched && result.actionCode);
  const explanations = results.filter((result) => result.matched).map((result) => result.explanation);

  return {
    ruleId: rule.id,
    ruleName: rule.name,
    matched,
    score: score * rule.weight,
    actionCode: matched ? (best?.actionCode ?? null) : null,
    explanation: `Composite (${rule.logic}): ${explanations.slice(0, 3).join("; ")}`,
    confidenceAdjustment: 0,
    metadata: { sub_results: results.map(ruleResultToJson) },
  };
}
