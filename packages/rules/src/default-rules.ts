// The predecessor's ten default rules (docs/architecture.md §4.6), unchanged: their worked outputs
// are the golden tests in test/golden-worked-outputs.test.ts.
import { errorCodeRule } from "./rules/error-code-rule.js";
import { historicalPatternRule } from "./rules/historical-pattern-rule.js";
import { occurrenceThresholdRule } from "./rules/occurrence-threshold-rule.js";
import type { Rule } from "./types.js";

export const DEFAULT_RULES: readonly Rule[] = Object.freeze([
  errorCodeRule({
    id: "timeout_retry",
    name: "Retry on Timeout",
    patterns: ["TIMEOUT", "DEADLINE", "TIMED_OUT"],
    actionCode: "retry_exponential",
    score: 0.85,
    priority: 90,
  }),
  errorCodeRule({
    id: "rate_limit_backoff",
    name: "Backoff on Rate Limit",
    patterns: ["RATE_LIMIT", "429", "TOO_MANY_REQUESTS", "QUOTA"],
    actionCode: "retry_exponential",
    score: 0.9,
    priority: 85,
  }),
  errorCodeRule({
    id: "server_error_fallback",
    name: "Fallback on Server Error",
    patterns: ["HTTP_5XX", "500", "502", "503", "504", "INTERNAL_ERROR"],
    actionCode: "circuit_breaker",
    score: 0.8,
    priority: 80,
  }),
  errorCodeRule({
    id: "budget_fallback",
    name: "Fallback on Budget Exceeded",
    patterns: ["BUDGET", "COST_EXCEEDED", "QUOTA_EXCEEDED"],
    actionCode: "fallback_model",
    score: 0.85,
    priority: 75,
  }),
  errorCodeRule({
    id: "auth_notify",
    name: "Notify on Auth Failure",
    patterns: ["AUTH", "PERMISSION", "FORBIDDEN", "401", "403"],
    actionCode: "notify_ops",
    score: 0.75,
    priority: 70,
  }),
  errorCodeRule({
    id: "connection_retry",
    name: "Retry on Connection Error",
    patterns: ["CONNECTION", "NETWORK", "DNS", "RESOLVE"],
    actionCode: "retry_exponential",
    score: 0.8,
    priority: 65,
  }),
  historicalPatternRule({
    id: "historical_success",
    name: "Follow Historical Success",
    minOccurrences: 3,
    minSuccessRate: 0.7,
    priority: 60,
    // Past outcomes for this very failure are the strongest evidence the engine has.
    weight: 1.2,
  }),
  occurrenceThresholdRule({
    id: "escalate_repeated",
    name: "Escalate Repeated Failures",
    threshold: 5,
    actionCode: "notify_ops",
    score: 0.7,
    priority: 40,
  }),
  occurrenceThresholdRule({
    id: "manual_review_high",
    name: "Manual Review for High Occurrence",
    threshold: 10,
    actionCode: "manual_intervention",
    score: 0.85,
    priority: 35,
  }),
  errorCodeRule({
    id: "unknown_manual",
    name: "Manual Review for Unknown",
    patterns: ["UNKNOWN", "UNHANDLED", "UNEXPECTED"],
    actionCode: "manual_intervention",
    score: 0.5,
    priority: 10,
  }),
]);
