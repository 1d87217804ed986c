// Skill rule: a fixed action for failures of particular skills. Not in DEFAULT_RULES.
import type { ResolvedRuleContext, RuleResult, SkillSpecificRule } from "../types.js";
import { matchedResult, requireScore, ruleCommon, unmatchedResult, type RuleOptions } from "./rule-common.js";

export const DEFAULT_SKILL_SCORE = 0.7;

export function skillSpecificRule(
  options: RuleOptions & { skillIds: readonly string[]; actionCode: string; score?: number },
): SkillSpecificRule {
  const common = ruleCommon(options);
  return Object.freeze({
    kind: "skill_specific",
    ...common,
    skillIds: Object.freeze([...options.skillIds]),
    actionCode: options.actionCode,
    score: requireScore(common.id, options.score ?? DEFAULT_SKILL_SCORE),
  });
}

export function evaluateSkillSpecificRule(rule: SkillSpecificRule, context: ResolvedRuleContext): RuleResult {
  const skillId = context.skillId;
  if (skillId === null || skillId === "" || !rule.skillIds.includes(skillId)) {
    return unmatchedResult(rule, `Skill '${skillId ?? "none"}' not in target list`);
  }
  return matchedResult(rule, {
    score: rule.score * rule.weight,
    actionCode: rule.actionCode,
    explanation: `Skill '${skillId}' matches rule`,
    metadata: { matched_skill: skillId },
  });
}
