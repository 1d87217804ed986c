// @m10/rules — the pure, I/O-free recovery rule engine.
export type {
  CompositeRule,
  CustomRule,
  CustomRuleOutcome,
  ErrorCodeRule,
  EvaluationExplain,
  EvaluationResult,
  HistoricalMatch,
  HistoricalPatternRule,
  JsonObject,
  JsonValue,
  OccurrenceThresholdRule,
  ResolvedRuleContext,
  Rule,
  RuleCommon,
  RuleContext,
  RuleResult,
  SkillSpecificRule,
} from "./types.js";

export { evaluate, rankRulesByPriority, NO_MATCH_EXPLANATION, TOP_SCORES_AVERAGED } from "./evaluate.js";
export { evaluateRule } from "./evaluate-rule.js";
export { DEFAULT_RULES } from "./default-rules.js";
export { resolveContext, DEFAULT_OCCURRENCE_COUNT } from "./context.js";

export { DEFAULT_PRIORITY, DEFAULT_WEIGHT, type RuleOptions } from "./rules/rule-common.js";
export { errorCodeRule, DEFAULT_ERROR_CODE_SCORE } from "./rules/error-code-rule.js";
export {
  historicalPatternRule,
  DEFAULT_MIN_OCCURRENCES,
  DEFAULT_MIN_SUCCESS_RATE,
  HISTORICAL_CONFIDENCE_FACTOR,
} from "./rules/historical-pattern-rule.js";
export { skillSpecificRule, DEFAULT_SKILL_SCORE } from "./rules/skill-specific-rule.js";
export {
  occurrenceThresholdRule,
  DEFAULT_OCCURRENCE_SCORE,
  OCCURRENCE_CONFIDENCE_ADJUSTMENT,
} from "./rules/occurrence-threshold-rule.js";
export { compositeRule } from "./rules/composite-rule.js";
export { customRule } from "./rules/custom-rule.js";

export {
  normalizeErrorMessage,
  errorSignature,
  NORMALIZED_MESSAGE_MAX_CODE_POINTS,
  ERROR_SIGNATURE_HEX_LENGTH,
} from "./signature.js";
export { failureFields, UNKNOWN_ERROR_TYPE, type FailureFields } from "./failure-payload.js";
export { defaultSuggestionFor, DEFAULT_SUGGESTIONS, PENDING_EVALUATION_CONFIDENCE } from "./default-suggestion.js";
export { suggestionForAction, ACTION_SUGGESTIONS } from "./action-suggestion.js";
export {
  ruleResultToJson,
  rulesEvaluatedJson,
  toEvaluateResponse,
  type EvaluateResponseJson,
  type RuleResultJson,
} from "./wire-format.js";
export { roundHalfEven } from "./rounding.js";
