// Each rule kind on its own, including the scenarios of the predecessor's own rule-engine unit tests.
import { describe, expect, it } from "vitest";
import { resolveContext } from "../src/context.js";
import { evaluateRule } from "../src/evaluate-rule.js";
import { compositeRule } from "../src/rules/composite-rule.js";
import { customRule } from "../src/rules/custom-rule.js";
import { errorCodeRule } from "../src/rules/error-code-rule.js";
import { historicalPatternRule } from "../src/rules/historical-pattern-rule.js";
import { occurrenceThresholdRule } from "../src/rules/occurrence-threshold-rule.js";
import { skillSpecificRule } from "../src/rules/skill-specific-rule.js";
import { type HistoricalMatch, type RuleContext } from "../src/types.js";

const ctx = (context: RuleContext) => resolveContext(context);
const outcome = (actionCode: string | null, succeeded: boolean): HistoricalMatch => ({ actionCode, succeeded });

describe("error-code rule", () => {
  const timeout = errorCodeRule({ id: "t", name: "Timeout", patterns: ["TIMEOUT"], actionCode: "retry_exponential", score: 0.85 });

  it("matches an exact error code with its score and names the pattern", () => {
    const result = evaluateRule(timeout, ctx({ errorCode: "TIMEOUT" }));
    expect(result).toMatchObject({ matched: true, score: 0.85, actionCode: "retry_exponential" });
    expect(result.explanation).toContain("TIMEOUT");
    expect(result.metadata).toEqual({ matched_pattern: "TIMEOUT" });
  });

  it("matches a pattern that is a prefix of the error code", () => {
    const http5 = errorCodeRule({ id: "h", name: "5xx", patterns: ["HTTP_5"], actionCode: "circuit_breaker" });
    expect(evaluateRule(http5, ctx({ errorCode: "HTTP_503_SERVICE_UNAVAILABLE" }))).toMatchObject({
      matched: true,
      actionCode: "circuit_breaker",
    });
  });

  it("matches a pattern anywhere in the error code, case-insensitively", () => {
    const lower = errorCodeRule({ id: "l", name: "Timeout", patterns: ["timeout"], actionCode: "retry_exponential" });
    expect(evaluateRule(lower, ctx({ errorCode: "upstream_timeout" })).matched).toBe(true);
  });

  it("reports the first pattern in list order that matches", () => {
    const rule = errorCodeRule({ id: "r", name: "R", patterns: ["QUOTA", "QUOTA_EXCEEDED"], actionCode: "x" });
    expect(evaluateRule(rule, ctx({ errorCode: "QUOTA_EXCEEDED" })).metadata).toEqual({ matched_pattern: "QUOTA" });
  });

  it("does not match another code: score 0 and no action", () => {
    expect(evaluateRule(timeout, ctx({ errorCode: "HTTP_503" }))).toMatchObject({
      matched: false,
      score: 0,
      actionCode: null,
      confidenceAdjustment: 0,
    });
  });

  it("uses 0.8 as the default score and multiplies by the weight", () => {
    const rule = errorCodeRule({ id: "w", name: "W", patterns: ["X"], actionCode: "a", weight: 1.5 });
    expect(evaluateRule(rule, ctx({ errorCode: "X" })).score).toBeCloseTo(1.2, 10);
  });

  it("refuses an empty pattern list or a negative weight", () => {
    expect(() => errorCodeRule({ id: "e", name: "E", patterns: [], actionCode: "a" })).toThrow(RangeError);
    expect(() => errorCodeRule({ id: "e", name: "E", patterns: ["X"], actionCode: "a", weight: -1 })).toThrow(RangeError);
  });
});

describe("historical-pattern rule", () => {
  const rule = historicalPatternRule({ id: "h", name: "History", minOccurrences: 3, minSuccessRate: 0.7 });

  it("matches 4 successes out of 5 with a success rate of 0.8", () => {
    const history = [
      outcome("retry_exponential", true),
      outcome("retry_exponential", true),
      outcome("retry_exponential", true),
      outcome("retry_exponential", true),
      outcome("retry_exponential", false),
    ];
    const result = evaluateRule(rule, ctx({ errorCode: "X", historicalMatches: history }));
    expect(result.matched).toBe(true);
    expect(result.score).toBeCloseTo(0.8, 10);
    expect(result.confidenceAdjustment).toBeCloseTo(0.16, 10);
    expect(result.metadata).toEqual({ success_rate: 0.8, total_matches: 5, successes: 4 });
    expect(result.explanation).toBe("Historical success rate 80.0% (4/5)");
  });

  it("does not match without history", () => {
    expect(evaluateRule(rule, ctx({ errorCode: "X" }))).toMatchObject({
      matched: false,
      explanation: "No historical matches available",
    });
  });

  it("does not match on insufficient history", () => {
    const strict = historicalPatternRule({ id: "s", name: "S", minOccurrences: 5 });
    const result = evaluateRule(strict, ctx({ errorCode: "X", historicalMatches: [outcome("a", true), outcome("a", true)] }));
    expect(result.matched).toBe(false);
    expect(result.explanation).toBe("Insufficient history (2 < 5)");
  });

  it("does not match when the success rate is below the threshold", () => {
    const history = [outcome("a", true), outcome("a", true), outcome("a", false)];
    const result = evaluateRule(rule, ctx({ errorCode: "X", historicalMatches: history }));
    expect(result.matched).toBe(false);
    expect(result.explanation).toBe("Success rate 66.7% below threshold 70.0%");
  });

  it("recommends the most common successful action, ignoring failed ones", () => {
    const history = [
      outcome("circuit_breaker", false),
      outcome("circuit_breaker", false),
      outcome("fallback_model", true),
      outcome("retry_exponential", true),
      outcome("retry_exponential", true),
      outcome("circuit_breaker", true),
      outcome("fallback_model", true),
      outcome("retry_exponential", true),
    ];
    const lenient = historicalPatternRule({ id: "l", name: "L", minSuccessRate: 0.5 });
    expect(evaluateRule(lenient, ctx({ errorCode: "X", historicalMatches: history })).actionCode).toBe("retry_exponential");
  });

  it("breaks a tie between actions in favour of the one seen first", () => {
    const history = [outcome("fallback_model", true), outcome("retry_exponential", true), outcome("retry_exponential", true), outcome("fallback_model", true)];
    expect(evaluateRule(rule, ctx({ errorCode: "X", historicalMatches: history })).actionCode).toBe("fallback_model");
  });

  it("matches without an action when the successful rows carry none", () => {
    const history = [outcome(null, true), outcome("", true), outcome(null, true)];
    expect(evaluateRule(rule, ctx({ errorCode: "X", historicalMatches: history }))).toMatchObject({
      matched: true,
      actionCode: null,
    });
  });

  it("rejects a success-rate threshold outside 0..1", () => {
    expect(() => historicalPatternRule({ id: "b", name: "B", minSuccessRate: 1.5 })).toThrow(RangeError);
  });
});

describe("occurrence-threshold rule", () => {
  const rule = occurrenceThresholdRule({ id: "o", name: "Often", threshold: 5, actionCode: "notify_ops" });

  it("does not match below the threshold and matches at it with a 0.1 confidence boost", () => {
    expect(evaluateRule(rule, ctx({ errorCode: "X", occurrenceCount: 3 })).matched).toBe(false);
    expect(evaluateRule(rule, ctx({ errorCode: "X", occurrenceCount: 5 }))).toMatchObject({
      matched: true,
      actionCode: "notify_ops",
      score: 0.9,
      confidenceAdjustment: 0.1,
      metadata: { occurrence_count: 5, threshold: 5 },
    });
  });

  it("counts a missing occurrence count as 1", () => {
    const once = occurrenceThresholdRule({ id: "1", name: "Once", threshold: 1, actionCode: "a" });
    expect(evaluateRule(once, ctx({ errorCode: "X" })).matched).toBe(true);
  });
});

describe("skill-specific rule", () => {
  const rule = skillSpecificRule({ id: "s", name: "HTTP skill", skillIds: ["http_call"], actionCode: "retry_exponential" });

  it("matches a listed skill with the default 0.7 score", () => {
    expect(evaluateRule(rule, ctx({ errorCode: "X", skillId: "http_call" }))).toMatchObject({
      matched: true,
      score: 0.7,
      metadata: { matched_skill: "http_call" },
    });
  });

  it("does not match another skill or no skill", () => {
    expect(evaluateRule(rule, ctx({ errorCode: "X", skillId: "llm_invoke" })).matched).toBe(false);
    expect(evaluateRule(rule, ctx({ errorCode: "X" })).matched).toBe(false);
  });
});

describe("composite rule", () => {
  const timeout = errorCodeRule({ id: "t", name: "T", patterns: ["TIMEOUT"], actionCode: "retry_exponential", score: 0.85 });
  const often = occurrenceThresholdRule({ id: "o", name: "O", threshold: 3, actionCode: "notify_ops", score: 0.7 });

  it("AND matches only when every sub-rule matches, scoring the minimum", () => {
    const both = compositeRule({ id: "c", name: "C", rules: [timeout, often], logic: "and" });
    const result = evaluateRule(both, ctx({ errorCode: "TIMEOUT", occurrenceCount: 3 }));
    expect(result).toMatchObject({ matched: true, score: 0.7, actionCode: "retry_exponential", confidenceAdjustment: 0 });
    expect(result.explanation).toBe("Composite (and): Error code 'TIMEOUT' matches pattern 'TIMEOUT'; Occurrence count 3 >= threshold 3");
    expect(evaluateRule(both, ctx({ errorCode: "TIMEOUT", occurrenceCount: 1 }))).toMatchObject({
      matched: false,
      score: 0,
      actionCode: null,
    });
  });

  it("OR matches when any sub-rule matches, scoring the maximum", () => {
    const either = compositeRule({ id: "c", name: "C", rules: [timeout, often], logic: "or" });
    expect(evaluateRule(either, ctx({ errorCode: "FOO", occurrenceCount: 3 }))).toMatchObject({
      matched: true,
      score: 0.7,
      actionCode: "notify_ops",
    });
  });

  it("keeps the sub-results in its metadata as JSON", () => {
    const either = compositeRule({ id: "c", name: "C", rules: [timeout, often], logic: "or" });
    const result = evaluateRule(either, ctx({ errorCode: "TIMEOUT" }));
    expect(result.metadata["sub_results"]).toEqual([
      expect.objectContaining({ rule_id: "t", matched: true }),
      expect.objectContaining({ rule_id: "o", matched: false }),
    ]);
  });

  it("refuses to be built without sub-rules", () => {
    expect(() => compositeRule({ id: "c", name: "C", rules: [] })).toThrow(RangeError);
  });
});

describe("custom rule", () => {
  it("applies the rule's weight to the score it returns", () => {
    const rule = customRule({
      id: "c",
      name: "Message mentions DNS",
      weight: 0.5,
      evaluate: (context) => ({ matched: context.errorMessage.includes("dns"), score: 0.8, actionCode: "retry_exponential" }),
    });
    expect(evaluateRule(rule, ctx({ errorCode: "X", errorMessage: "dns lookup failed" }))).toMatchObject({
      matched: true,
      score: 0.4,
      actionCode: "retry_exponential",
    });
  });

  it("ignores score, action and adjustment when it did not match", () => {
    const rule = customRule({
      id: "c",
      name: "C",
      evaluate: () => ({ matched: false, score: 0.9, actionCode: "x", confidenceAdjustment: 0.5 }),
    });
    expect(evaluateRule(rule, ctx({ errorCode: "X" }))).toMatchObject({ score: 0, actionCode: null, confidenceAdjustment: 0 });
  });
});
