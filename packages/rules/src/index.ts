// @m10/rules: the pure, I/O-free recovery rule engine. This file is its whole interface.
export type { EvaluationResult, HistoricalMatch, Rule, RuleContext, RuleResult } from "./types.js";
export { evaluate } from "./evaluate.js";
export { errorSignature, normalizeErrorMessage } from "./signature.js";
export { failureFields } from "./failure-payload.js";
export { defaultSuggestionFor, PENDING_EVALUATION_CONFIDENCE } from "./default-suggestion.js";
export { ruleResultToJson, rulesEvaluatedJson, toEvaluateResponse, type RuleResultJson } from "./wire-format.js";
