// The outputs the predecessor's own code produced for its default rules (docs/architecture.md §2
// promise 15, §4.6): every one, pinned.
import { describe, expect, it } from "vitest";
import { DEFAULT_RULES } from "../src/default-rules.js";
import { evaluate } from "../src/evaluate.js";
import { type HistoricalMatch, type RuleContext } from "../src/types.js";

interface GoldenCase {
  name: string;
  context: RuleContext;
  action: string | null;
  score: number;
  confidence: number;
}

const successfulRetry: HistoricalMatch = { actionCode: "retry_exponential", succeeded: true };

const GOLDEN: GoldenCase[] = [
  { name: "TIMEOUT", context: { errorCode: "TIMEOUT" }, action: "retry_exponential", score: 0.85, confidence: 0.85 },
  { name: "RATE_LIMITED", context: { errorCode: "RATE_LIMITED" }, action: "retry_exponential", score: 0.9, confidence: 0.9 },
  { name: "HTTP_503", context: { errorCode: "HTTP_503" }, action: "circuit_breaker", score: 0.8, confidence: 0.8 },
  { name: "BUDGET_EXCEEDED", context: { errorCode: "BUDGET_EXCEEDED" }, action: "fallback_model", score: 0.85, confidence: 0.85 },
  { name: "AUTH_FAILED", context: { errorCode: "AUTH_FAILED" }, action: "notify_ops", score: 0.75, confidence: 0.75 },
  { name: "UNKNOWN", context: { errorCode: "UNKNOWN" }, action: "manual_intervention", score: 0.5, confidence: 0.5 },
  { name: "FOO", context: { errorCode: "FOO" }, action: null, score: 0, confidence: 0 },
  {
    name: "FOO occurring 5 times",
    context: { errorCode: "FOO", occurrenceCount: 5 },
    action: "notify_ops",
    score: 0.7,
    confidence: 0.8,
  },
  {
    name: "FOO occurring 10 times",
    context: { errorCode: "FOO", occurrenceCount: 10 },
    action: "manual_intervention",
    score: 0.775,
    confidence: 0.975,
  },
  {
    name: "TIMEOUT occurring 10 times",
    context: { errorCode: "TIMEOUT", occurrenceCount: 10 },
    action: "retry_exponential",
    score: 0.8,
    confidence: 1.0,
  },
  {
    name: "CONNECTION_TIMEOUT",
    context: { errorCode: "CONNECTION_TIMEOUT" },
    action: "retry_exponential",
    score: 0.825,
    confidence: 0.825,
  },
  {
    name: "QUOTA_EXCEEDED",
    context: { errorCode: "QUOTA_EXCEEDED" },
    action: "retry_exponential",
    score: 0.875,
    confidence: 0.875,
  },
  {
    name: "FOO with 3 successful retry_exponential history rows",
    context: { errorCode: "FOO", historicalMatches: [successfulRetry, successfulRetry, successfulRetry] },
    action: "retry_exponential",
    score: 1.2,
    confidence: 1.0,
  },
];

describe("DEFAULT_RULES reproduce the predecessor's worked outputs", () => {
  it.each(GOLDEN)("$name → $action, score $score, confidence $confidence", (golden) => {
    const result = evaluate(golden.context);
    expect(result.actionCode).toBe(golden.action);
    expect(result.score).toBeCloseTo(golden.score, 10);
    expect(result.confidence).toBeCloseTo(golden.confidence, 10);
  });

  it("reports the four-decimal values exactly, as the predecessor rounded them", () => {
    for (const golden of GOLDEN) {
      const result = evaluate(golden.context);
      expect(result.score).toBe(golden.score);
      expect(result.confidence).toBe(golden.confidence);
    }
  });

  it("breaks the 0.85 tie between timeout_retry and manual_review_high by priority", () => {
    const result = evaluate({ errorCode: "TIMEOUT", occurrenceCount: 10 });
    expect(result.selectedRuleId).toBe("timeout_retry");
    expect(result.explain.matched_rules.map((rule) => rule.rule_id)).toEqual([
      "timeout_retry",
      "manual_review_high",
      "escalate_repeated",
    ]);
  });

  it("recommends the rate-limit action for QUOTA_EXCEEDED because both it and the budget rule match", () => {
    const result = evaluate({ errorCode: "QUOTA_EXCEEDED" });
    expect(result.explain.matched_rules.map((rule) => rule.rule_id)).toEqual([
      "rate_limit_backoff",
      "budget_fallback",
    ]);
  });

  it("lets the historical rule's 1.2 weight lift the score above 1 while confidence stays clamped", () => {
    const history = [successfulRetry, successfulRetry, successfulRetry];
    const result = evaluate({ errorCode: "FOO", historicalMatches: history });
    const historical = result.rulesEvaluated.find((rule) => rule.ruleId === "historical_success");
    expect(historical?.score).toBeCloseTo(1.2, 10);
    expect(historical?.confidenceAdjustment).toBeCloseTo(0.2, 10);
    expect(result.score).toBeGreaterThan(1);
    expect(result.confidence).toBe(1);
  });

  it("evaluates all ten default rules in priority order whatever matches", () => {
    const result = evaluate({ errorCode: "FOO" });
    expect(result.rulesEvaluated.map((rule) => rule.ruleId)).toEqual([
      "timeout_retry",
      "rate_limit_backoff",
      "server_error_fallback",
      "budget_fallback",
      "auth_notify",
      "connection_retry",
      "historical_success",
      "escalate_repeated",
      "manual_review_high",
      "unknown_manual",
    ]);
    expect(DEFAULT_RULES).toHaveLength(10);
  });
});

describe("DEFAULT_RULES match the §5.6 table", () => {
  const table = [
    ["timeout_retry", "error_code", ["TIMEOUT", "DEADLINE", "TIMED_OUT"], "retry_exponential", 0.85, 90],
    ["rate_limit_backoff", "error_code", ["RATE_LIMIT", "429", "TOO_MANY_REQUESTS", "QUOTA"], "retry_exponential", 0.9, 85],
    ["server_error_fallback", "error_code", ["HTTP_5XX", "500", "502", "503", "504", "INTERNAL_ERROR"], "circuit_breaker", 0.8, 80],
    ["budget_fallback", "error_code", ["BUDGET", "COST_EXCEEDED", "QUOTA_EXCEEDED"], "fallback_model", 0.85, 75],
    ["auth_notify", "error_code", ["AUTH", "PERMISSION", "FORBIDDEN", "401", "403"], "notify_ops", 0.75, 70],
    ["connection_retry", "error_code", ["CONNECTION", "NETWORK", "DNS", "RESOLVE"], "retry_exponential", 0.8, 65],
    ["unknown_manual", "error_code", ["UNKNOWN", "UNHANDLED", "UNEXPECTED"], "manual_intervention", 0.5, 10],
  ] as const;

  it.each(table)("%s is an error-code rule with its patterns, action, score and priority", (id, kind, patterns, action, score, priority) => {
    const rule = DEFAULT_RULES.find((candidate) => candidate.id === id);
    expect(rule).toMatchObject({ kind, patterns, actionCode: action, score, priority, weight: 1 });
  });

  it("has the historical rule at priority 60 with 3 occurrences, 70% success and weight 1.2", () => {
    expect(DEFAULT_RULES.find((rule) => rule.id === "historical_success")).toMatchObject({
      kind: "historical_pattern",
      minOccurrences: 3,
      minSuccessRate: 0.7,
      priority: 60,
      weight: 1.2,
    });
  });

  it("has the two occurrence-threshold rules at 5 and 10", () => {
    expect(DEFAULT_RULES.find((rule) => rule.id === "escalate_repeated")).toMatchObject({
      kind: "occurrence_threshold",
      threshold: 5,
      actionCode: "notify_ops",
      score: 0.7,
      priority: 40,
    });
    expect(DEFAULT_RULES.find((rule) => rule.id === "manual_review_high")).toMatchObject({
      kind: "occurrence_threshold",
      threshold: 10,
      actionCode: "manual_intervention",
      score: 0.85,
      priority: 35,
    });
  });

  it("cannot be mutated by a caller", () => {
    expect(Object.isFrozen(DEFAULT_RULES)).toBe(true);
    expect(DEFAULT_RULES.every((rule) => Object.isFrozen(rule))).toBe(true);
  });
});
