// Error-code rule: a substring match of the upper-cased error code against upper-cased patterns.
import type { ErrorCodeRule, ResolvedRuleContext, RuleResult } from "../types.js";
import { matchedResult, requireScore, ruleCommon, unmatchedResult, type RuleOptions } from "./rule-common.js";

export const DEFAULT_ERROR_CODE_SCORE = 0.8;

export function errorCodeRule(
  options: RuleOptions & { patterns: readonly string[]; actionCode: string; score?: number },
): ErrorCodeRule {
  const common = ruleCommon(options);
  if (options.patterns.length === 0) throw new RangeError(`rule ${common.id}: patterns must not be empty`);
  return Object.freeze({
    kind: "error_code",
    ...common,
    patterns: Object.freeze(options.patterns.map((pattern) => pattern.toUpperCase())),
    actionCode: options.actionCode,
    score: requireScore(common.id, options.score ?? DEFAULT_ERROR_CODE_SCORE),
  });
}

export function evaluateErrorCodeRule(rule: ErrorCodeRule, context: ResolvedRuleContext): RuleResult {
  const code = context.errorCode.toUpperCase();
  // The predecessor documented "exact or prefix" matching, but tested startsWith OR includes,
  // which is just includes. Patterns are checked in order; the first hit wins.
  const pattern = rule.patterns.find((candidate) => code.includes(candidate));
  if (pattern === undefined) {
    return unmatchedResult(rule, `Error code '${context.errorCode}' did not match any patterns`);
  }
  return matchedResult(rule, {
    score: rule.score * rule.weight,
    actionCode: rule.actionCode,
    explanation: `Error code '${context.errorCode}' matches pattern '${pattern}'`,
    metadata: { matched_pattern: pattern },
  });
}
