// The compact value of recovery_candidates.rules_evaluated written by the worker. Every rule the
// engine evaluated is listed with what decides the verdict (rule_id, matched, score,
// action_code); the descriptive fields of the wire format (rule_name, explanation,
// confidence_adjustment, metadata) are kept only for the rules that matched. The explanations of
// unmatched rules only say why they did not apply and made up most of the ~2.2 KB per candidate
// (a TOASTed value written with every evaluation); POST /evaluate still returns them in full.
import { type EvaluationResult, type RuleResultJson, ruleResultToJson } from "@m10/rules";

/** An unmatched rule: its identity and verdict only. */
export interface UnmatchedRuleJson {
  rule_id: string;
  matched: false;
  score: number;
  action_code: string | null;
}

export type CompactRuleJson = RuleResultJson | UnmatchedRuleJson;

export function compactRulesEvaluated(result: Pick<EvaluationResult, "rulesEvaluated">): CompactRuleJson[] {
  return result.rulesEvaluated.map((rule) =>
    rule.matched ? ruleResultToJson(rule) : { rule_id: rule.ruleId, matched: false, score: rule.score, action_code: rule.actionCode },
  );
}
