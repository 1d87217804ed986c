// The engine around the rules: ranking, aggregation, failures, suggestion text and explain.
import { describe, expect, it } from "vitest";
import { DEFAULT_RULES } from "../src/default-rules.js";
import { evaluate } from "../src/evaluate.js";
import { customRule } from "../src/rules/custom-rule.js";
import { errorCodeRule } from "../src/rules/error-code-rule.js";
import { occurrenceThresholdRule } from "../src/rules/occurrence-threshold-rule.js";
import { type HistoricalMatch } from "../src/types.js";

const retryOk: HistoricalMatch = { actionCode: "retry_exponential", succeeded: true };

describe("evaluate", () => {
  it("recommends nothing for an unknown code: score 0, confidence 0, 'No rules matched'", () => {
    const result = evaluate({ errorCode: "FOO" });
    expect(result).toMatchObject({
      actionCode: null,
      selectedRuleId: null,
      score: 0,
      confidence: 0,
      explanation: "No rules matched",
    });
    expect(result.rulesEvaluated.every((rule) => !rule.matched)).toBe(true);
  });

  it("ignores the error message: only the code, occurrences and history decide", () => {
    const withMessage = evaluate({ errorCode: "TIMEOUT", errorMessage: "rate limited by upstream (429)" });
    const withoutMessage = evaluate({ errorCode: "TIMEOUT", errorMessage: "" });
    expect(withMessage.actionCode).toBe(withoutMessage.actionCode);
    expect(withMessage.score).toBe(withoutMessage.score);
    expect(withMessage.confidence).toBe(withoutMessage.confidence);
  });

  it("matches nothing for an empty error code", () => {
    expect(evaluate({ errorCode: "" }).actionCode).toBeNull();
  });

  it("matches error codes case-insensitively", () => {
    expect(evaluate({ errorCode: "timeout" }).actionCode).toBe("retry_exponential");
  });

  it("averages only the top three matched scores", () => {
    // TIMEOUT (0.85), RATE_LIMIT (0.9), CONNECTION (0.8), plus escalate_repeated (0.7) at 5 occurrences.
    const result = evaluate({ errorCode: "CONNECTION_TIMEOUT_RATE_LIMIT", occurrenceCount: 5 });
    expect(result.explain.matched_rules).toHaveLength(4);
    expect(result.score).toBeCloseTo((0.9 + 0.85 + 0.8) / 3, 4);
    // ...but adds the adjustment of every matched rule, including the fourth.
    expect(result.confidence).toBe(0.95);
  });

  it("joins the top three explanations with '; '", () => {
    const result = evaluate({ errorCode: "CONNECTION_TIMEOUT" });
    expect(result.explanation).toBe(
      "Error code 'CONNECTION_TIMEOUT' matches pattern 'TIMEOUT'; Error code 'CONNECTION_TIMEOUT' matches pattern 'CONNECTION'",
    );
  });

  it("lets history outrank the error-code rule when it is strong enough", () => {
    const history = [
      { actionCode: "fallback_model", succeeded: true },
      { actionCode: "fallback_model", succeeded: true },
      { actionCode: "fallback_model", succeeded: true },
    ];
    const result = evaluate({ errorCode: "TIMEOUT", historicalMatches: history });
    expect(result).toMatchObject({ actionCode: "fallback_model", selectedRuleId: "historical_success" });
    expect(result.score).toBeCloseTo((1.2 + 0.85) / 2, 10);
    expect(result.confidence).toBe(1);
  });

  it("falls through to the next matched rule when the best one has no action", () => {
    const history = [
      { actionCode: null, succeeded: true },
      { actionCode: null, succeeded: true },
      { actionCode: null, succeeded: true },
    ];
    const result = evaluate({ errorCode: "TIMEOUT", historicalMatches: history });
    expect(result).toMatchObject({ actionCode: "retry_exponential", selectedRuleId: "timeout_retry" });
  });

  it("turns a rule that throws into an unmatched 'Evaluation error' result and keeps going", () => {
    const broken = customRule({
      id: "broken",
      name: "Broken",
      priority: 100,
      evaluate: () => {
        throw new Error("boom");
      },
    });
    const result = evaluate({ errorCode: "TIMEOUT" }, [broken, ...DEFAULT_RULES]);
    expect(result.rulesEvaluated[0]).toMatchObject({
      ruleId: "broken",
      matched: false,
      score: 0,
      explanation: "Evaluation error: boom",
    });
    expect(result.actionCode).toBe("retry_exponential");
  });

  it("uses the given rules instead of the defaults", () => {
    const only = errorCodeRule({ id: "only", name: "Only", patterns: ["FOO"], actionCode: "skip_task", score: 0.6 });
    const result = evaluate({ errorCode: "TIMEOUT_FOO" }, [only]);
    expect(result.rulesEvaluated).toHaveLength(1);
    expect(result).toMatchObject({ actionCode: "skip_task", score: 0.6, confidence: 0.6 });
  });

  it("recommends nothing when given no rules at all", () => {
    expect(evaluate({ errorCode: "TIMEOUT" }, [])).toMatchObject({ actionCode: null, explanation: "No rules matched" });
  });

  it("lets an added higher-priority rule win a score tie", () => {
    const custom = errorCodeRule({ id: "mine", name: "Mine", patterns: ["TIMEOUT"], actionCode: "skip_task", score: 0.85, priority: 100 });
    expect(evaluate({ errorCode: "TIMEOUT" }, [...DEFAULT_RULES, custom]).actionCode).toBe("skip_task");
  });

  it("keeps list order between rules of equal priority", () => {
    const first = errorCodeRule({ id: "a", name: "A", patterns: ["X"], actionCode: "first" });
    const second = errorCodeRule({ id: "b", name: "B", patterns: ["X"], actionCode: "second" });
    expect(evaluate({ errorCode: "X" }, [first, second]).actionCode).toBe("first");
    expect(evaluate({ errorCode: "X" }, [second, first]).actionCode).toBe("second");
  });

  it("clamps confidence to 1 but leaves a weighted score above 1 unclamped", () => {
    const heavy = errorCodeRule({ id: "h", name: "Heavy", patterns: ["X"], actionCode: "a", score: 0.9, weight: 2 });
    const result = evaluate({ errorCode: "X" }, [heavy]);
    expect(result.score).toBe(1.8);
    expect(result.confidence).toBe(1);
  });

  it("clamps a negative confidence to 0", () => {
    const doubtful = customRule({
      id: "d",
      name: "Doubtful",
      evaluate: () => ({ matched: true, score: 0.3, actionCode: "a", confidenceAdjustment: -0.5 }),
    });
    expect(evaluate({ errorCode: "X" }, [doubtful]).confidence).toBe(0);
  });

  it("rounds score and confidence to four decimals", () => {
    const a = errorCodeRule({ id: "a", name: "A", patterns: ["X"], actionCode: "a", score: 0.1 });
    const b = errorCodeRule({ id: "b", name: "B", patterns: ["X"], actionCode: "b", score: 0.2 });
    const c = errorCodeRule({ id: "c", name: "C", patterns: ["X"], actionCode: "c", score: 0.33333 });
    const result = evaluate({ errorCode: "X" }, [a, b, c]);
    expect(result.score).toBe(0.2111);
    expect(result.confidence).toBe(0.2111);
  });

  it("reports a whole, non-negative number of milliseconds", () => {
    const { durationMs } = evaluate({ errorCode: "TIMEOUT", occurrenceCount: 3 });
    expect(Number.isInteger(durationMs)).toBe(true);
    expect(durationMs).toBeGreaterThanOrEqual(0);
  });

  it("returns the same decision for the same input", () => {
    const context = { errorCode: "TIMEOUT", occurrenceCount: 7, historicalMatches: [retryOk, retryOk, retryOk] };
    const { durationMs: _a, ...first } = evaluate(context);
    const { durationMs: _b, ...second } = evaluate(context);
    expect(second).toEqual(first);
  });
});

describe("evaluate's suggestion text", () => {
  it("describes the selected action with the seeded action description", () => {
    expect(evaluate({ errorCode: "TIMEOUT" }).suggestion).toBe("Retry the operation with exponential backoff and jitter");
    expect(evaluate({ errorCode: "HTTP_503" }).suggestion).toBe("Activate circuit breaker to prevent cascade failures");
    expect(evaluate({ errorCode: "UNKNOWN" }).suggestion).toBe("Flag for human operator review and decision");
  });

  it("names an action the seed does not know", () => {
    const rule = occurrenceThresholdRule({ id: "o", name: "O", threshold: 1, actionCode: "page_oncall" });
    expect(evaluate({ errorCode: "X" }, [rule]).suggestion).toBe("Apply recovery action 'page_oncall'");
  });

  it("falls back to the ingest suggestion for the error code when no action is recommended", () => {
    expect(evaluate({ errorCode: "FOO" }).suggestion).toBe("Review error 'FOO' and implement appropriate error handling");
    expect(evaluate({ errorCode: "PARSE_ERROR" }).suggestion).toBe("Validate input format, check schema compatibility");
  });
});

describe("evaluate's explain", () => {
  it("records the decision, the ranked matched rules and the context", () => {
    const result = evaluate({ errorCode: "FOO", occurrenceCount: 10, skillId: "http_call", tenantId: "acme" });
    expect(result.explain).toEqual({
      method: "rule_engine",
      recommended_action: "manual_intervention",
      selected_rule_id: "manual_review_high",
      total_score: 0.775,
      confidence: 0.975,
      explanation: "Occurrence count 10 >= threshold 10; Occurrence count 10 >= threshold 5",
      matched_rules: [
        {
          rule_id: "manual_review_high",
          rule_name: "Manual Review for High Occurrence",
          score: 0.85,
          action_code: "manual_intervention",
          confidence_adjustment: 0.1,
          explanation: "Occurrence count 10 >= threshold 10",
        },
        {
          rule_id: "escalate_repeated",
          rule_name: "Escalate Repeated Failures",
          score: 0.7,
          action_code: "notify_ops",
          confidence_adjustment: 0.1,
          explanation: "Occurrence count 10 >= threshold 5",
        },
      ],
      context: { error_code: "FOO", skill_id: "http_call", tenant_id: "acme", occurrence_count: 10, historical_matches: 0 },
    });
  });

  it("survives a JSON round trip unchanged, so it can go straight into jsonb", () => {
    const { explain } = evaluate({ errorCode: "TIMEOUT", historicalMatches: [retryOk, retryOk, retryOk] });
    expect(JSON.parse(JSON.stringify(explain))).toEqual(explain);
  });
});
