// The snake_case shapes of POST /evaluate and the rules_evaluated jsonb column.
import { describe, expect, it } from "vitest";
import { evaluate } from "../src/evaluate.js";
import { rulesEvaluatedJson, toEvaluateResponse } from "../src/wire-format.js";

describe("wire format", () => {
  it("writes rules_evaluated in the predecessor's RuleResult shape, one entry per rule", () => {
    const json = rulesEvaluatedJson(evaluate({ errorCode: "TIMEOUT" }));
    expect(json).toHaveLength(10);
    expect(json[0]).toEqual({
      rule_id: "timeout_retry",
      rule_name: "Retry on Timeout",
      matched: true,
      score: 0.85,
      action_code: "retry_exponential",
      explanation: "Error code 'TIMEOUT' matches pattern 'TIMEOUT'",
      confidence_adjustment: 0,
      metadata: { matched_pattern: "TIMEOUT" },
    });
    expect(json[1]).toEqual({
      rule_id: "rate_limit_backoff",
      rule_name: "Backoff on Rate Limit",
      matched: false,
      score: 0,
      action_code: null,
      explanation: "Error code 'TIMEOUT' did not match any patterns",
      confidence_adjustment: 0,
      metadata: {},
    });
  });

  it("answers POST /evaluate with recommended_action, confidence, total_score, rules_evaluated, explanation, duration_ms", () => {
    const result = evaluate({ errorCode: "RATE_LIMITED" });
    const body = toEvaluateResponse(result);
    expect(Object.keys(body).sort()).toEqual(
      ["confidence", "duration_ms", "explanation", "recommended_action", "rules_evaluated", "total_score"].sort(),
    );
    expect(body).toMatchObject({ recommended_action: "retry_exponential", confidence: 0.9, total_score: 0.9 });
    expect(body.rules_evaluated).toEqual(rulesEvaluatedJson(result));
  });
});
