// Historical rule: learn from how past candidates for the same failure recovered.
import { formatPercent } from "../rounding.js";
import type { HistoricalMatch, HistoricalPatternRule, ResolvedRuleContext, RuleResult } from "../types.js";
import { matchedResult, ruleCommon, unmatchedResult, type RuleOptions } from "./rule-common.js";

export const DEFAULT_MIN_OCCURRENCES = 3;
export const DEFAULT_MIN_SUCCESS_RATE = 0.7;
/** Share of the success rate added to the engine's confidence when the rule matches. */
export const HISTORICAL_CONFIDENCE_FACTOR = 0.2;

export function historicalPatternRule(
  options: RuleOptions & { minOccurrences?: number; minSuccessRate?: number },
): HistoricalPatternRule {
  const common = ruleCommon(options);
  const minOccurrences = options.minOccurrences ?? DEFAULT_MIN_OCCURRENCES;
  const minSuccessRate = options.minSuccessRate ?? DEFAULT_MIN_SUCCESS_RATE;
  if (!Number.isInteger(minOccurrences) || minOccurrences < 1) {
    throw new RangeError(`rule ${common.id}: minOccurrences must be an integer >= 1`);
  }
  if (!(minSuccessRate >= 0 && minSuccessRate <= 1)) {
    throw new RangeError(`rule ${common.id}: minSuccessRate must be within 0..1`);
  }
  return Object.freeze({ kind: "historical_pattern", ...common, minOccurrences, minSuccessRate });
}

export function evaluateHistoricalPatternRule(
  rule: HistoricalPatternRule,
  context: ResolvedRuleContext,
): RuleResult {
  const history = context.historicalMatches;
  if (history.length === 0) return unmatchedResult(rule, "No historical matches available");

  const total = history.length;
  if (total < rule.minOccurrences) {
    return unmatchedResult(rule, `Insufficient history (${total} < ${rule.minOccurrences})`);
  }

  const successes = history.filter((match) => match.succeeded).length;
  const successRate = successes / total;
  if (successRate < rule.minSuccessRate) {
    return unmatchedResult(
      rule,
      `Success rate ${formatPercent(successRate)} below threshold ${formatPercent(rule.minSuccessRate)}`,
    );
  }

  return matchedResult(rule, {
    score: successRate * rule.weight,
    actionCode: mostCommonSuccessfulAction(history),
    explanation: `Historical success rate ${formatPercent(successRate)} (${successes}/${total})`,
    confidenceAdjustment: successRate * HISTORICAL_CONFIDENCE_FACTOR,
    metadata: { success_rate: successRate, total_matches: total, successes },
  });
}

/** The action that succeeded most often; on a tie, the one seen first. */
function mostCommonSuccessfulAction(history: readonly HistoricalMatch[]): string | null {
  const counts = new Map<string, number>(); // Map keeps first-seen order
  for (const match of history) {
    if (match.succeeded && match.actionCode) {
      counts.set(match.actionCode, (counts.get(match.actionCode) ?? 0) + 1);
    }
  }
  let best: string | null = null;
  let bestCount = 0;
  for (const [action, count] of counts) {
    if (count > bestCount) {
      best = action;
      bestCount = count;
    }
  }
  return best;
}
