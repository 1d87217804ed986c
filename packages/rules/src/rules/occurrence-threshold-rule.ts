// Occurrence rule: escalate a failure that keeps coming back.
import type { OccurrenceThresholdRule, ResolvedRuleContext, RuleResult } from "../types.js";
import { matchedResult, requireScore, ruleCommon, unmatchedResult, type RuleOptions } from "./rule-common.js";

export const DEFAULT_OCCURRENCE_SCORE = 0.9;
/** Repeated failures make the engine more sure that something must be done. */
export const OCCURRENCE_CONFIDENCE_ADJUSTMENT = 0.1;

export function occurrenceThresholdRule(
  options: RuleOptions & { threshold: number; actionCode: string; score?: number },
): OccurrenceThresholdRule {
  const common = ruleCommon(options);
  if (!Number.isFinite(options.threshold)) throw new RangeError(`rule ${common.id}: threshold must be finite`);
  return Object.freeze({
    kind: "occurrence_threshold",
    ...common,
    threshold: options.threshold,
    actionCode: options.actionCode,
    score: requireScore(common.id, options.score ?? DEFAULT_OCCURRENCE_SCORE),
  });
}

export function evaluateOccurrenceThresholdRule(
  rule: OccurrenceThresholdRule,
  context: ResolvedRuleContext,
): RuleResult {
  const count = context.occurrenceCount;
  if (count < rule.threshold) {
    return unmatchedResult(rule, `Occurrence count ${count} < threshold ${rule.threshold}`);
  }
  return matchedResult(rule, {
    score: rule.score * rule.weight,
    actionCode: rule.actionCode,
    explanation: `Occurrence count ${count} >= threshold ${rule.threshold}`,
    confidenceAdjustment: OCCURRENCE_CONFIDENCE_ADJUSTMENT,
    metadata: { occurrence_count: count, threshold: rule.threshold },
  });
}
