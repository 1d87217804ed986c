import { evaluate, rulesEvaluatedJson } from "@m10/rules";
import { describe, expect, it } from "vitest";
import { compactRulesEvaluated } from "../src/evaluation/rules-evaluated.js";

describe("compact rules_evaluated", () => {
  const result = evaluate({ errorCode: "TIMEOUT", errorMessage: "call 7 timed out", occurrenceCount: 3, historicalMatches: [] });

  it("lists every evaluated rule with its verdict, and matched rules in the full wire format", () => {
    const compact = compactRulesEvaluated(result);
    const full = rulesEvaluatedJson(result);
    expect(compact.map((rule) => rule.rule_id)).toEqual(full.map((rule) => rule.rule_id));
    expect(full.some((rule) => rule.matched)).toBe(true);
    expect(full.some((rule) => !rule.matched)).toBe(true);
    for (const [index, rule] of full.entries()) {
      if (rule.matched) expect(compact[index]).toEqual(rule);
      else expect(compact[index]).toEqual({ rule_id: rule.rule_id, matched: false, score: rule.score, action_code: rule.action_code });
    }
  });

  it("is smaller than the full wire format", () => {
    expect(JSON.stringify(compactRulesEvaluated(result)).length).toBeLessThan(JSON.stringify(rulesEvaluatedJson(result)).length);
  });
});
