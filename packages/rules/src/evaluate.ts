// The rule engine: run every rule, rank the matches, pick an action, score it.
import { performance } from "node:perf_hooks";
import { suggestionForAction } from "./action-suggestion.js";
import { resolveContext } from "./context.js";
import { DEFAULT_RULES } from "./default-rules.js";
import { defaultSuggestionFor } from "./default-suggestion.js";
import { evaluateRule } from "./evaluate-rule.js";
import { unmatchedResult } from "./rules/rule-common.js";
import { buildExplain } from "./explain.js";
import { roundHalfEven } from "./rounding.js";
import type { EvaluationResult, ResolvedRuleContext, Rule, RuleContext, RuleResult } from "./types.js";

/** The engine's score is the mean of this many best matched scores. */
export const TOP_SCORES_AVERAGED = 3;
export const NO_MATCH_EXPLANATION = "No rules matched";

/** Rules by priority, highest first; equal priorities keep their list order. */
export function rankRulesByPriority(rules: readonly Rule[]): Rule[] {
  return [...rules].sort((a, b) => b.priority - a.priority);
}

/**
 * Evaluates every rule against the context. `rules` replaces the defaults; to extend them pass
 * `[...DEFAULT_RULES, myRule]`. Pure apart from measuring its own duration.
 */
export function evaluate(context: RuleContext, rules: readonly Rule[] = DEFAULT_RULES): EvaluationResult {
  const started = performance.now();
  const resolved = resolveContext(context);

  const rulesEvaluated = rankRulesByPriority(rules).map((rule) => evaluateSafely(rule, resolved));
  // Stable sort: equal scores stay in priority order, so the higher-priority rule wins a tie.
  const ranked = rulesEvaluated.filter((result) => result.matched).sort((a, b) => b.score - a.score);
  const selected = ranked.find((result) => result.actionCode) ?? null;
  const top = ranked.slice(0, TOP_SCORES_AVERAGED);

  let score = 0;
  let confidence = 0;
  if (top.length > 0) {
    const meanScore = top.reduce((sum, result) => sum + result.score, 0) / top.length;
    // Every matched rule's adjustment counts, not only the top three's.
    const adjustment = ranked.reduce((sum, result) => sum + result.confidenceAdjustment, 0);
    // The score is left unclamped (a weight above 1 can lift it past 1); confidence is a probability.
    score = roundHalfEven(meanScore, 4);
    confidence = roundHalfEven(clamp01(meanScore + adjustment), 4);
  }
  const explanation =
    top.length > 0 ? top.map((result) => result.explanation).join("; ") : NO_MATCH_EXPLANATION;
  const actionCode = selected?.actionCode ?? null;

  return {
    actionCode,
    selectedRuleId: selected?.ruleId ?? null,
    score,
    confidence,
    explanation,
    suggestion: actionCode !== null ? suggestionForAction(actionCode) : defaultSuggestionFor(resolved.errorCode),
    rulesEvaluated,
    explain: buildExplain({ context: resolved, ranked, selected, score, confidence, explanation }),
    durationMs: Math.floor(performance.now() - started),
  };
}

/** One faulty rule must not stop the others: it becomes an unmatched result saying why. */
function evaluateSafely(rule: Rule, context: ResolvedRuleContext): RuleResult {
  try {
    return evaluateRule(rule, context);
  } catch (error) {
    return unmatchedResult(rule, `Evaluation error: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function clamp01(value: number): number {
  return Math.min(1, Math.max(0, value));
}
