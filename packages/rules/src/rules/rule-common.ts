// What every rule kind shares: identity/priority/weight defaults and result builders.
import type { JsonObject, RuleCommon, RuleResult } from "../types.js";

export const DEFAULT_PRIORITY = 50;
export const DEFAULT_WEIGHT = 1;

/** Identity and ordering options accepted by every rule factory. */
export interface RuleOptions {
  id: string;
  name: string;
  priority?: number;
  weight?: number;
}

export function ruleCommon(options: RuleOptions): RuleCommon {
  const priority = options.priority ?? DEFAULT_PRIORITY;
  const weight = options.weight ?? DEFAULT_WEIGHT;
  if (options.id.length === 0) throw new RangeError("rule id must not be empty");
  if (!Number.isFinite(priority)) throw new RangeError(`rule ${options.id}: priority must be finite`);
  if (!Number.isFinite(weight) || weight < 0) {
    throw new RangeError(`rule ${options.id}: weight must be a finite number >= 0`);
  }
  return { id: options.id, name: options.name, priority, weight };
}

export function requireScore(ruleId: string, score: number): number {
  if (!Number.isFinite(score) || score < 0) {
    throw new RangeError(`rule ${ruleId}: score must be a finite number >= 0`);
  }
  return score;
}

export function matchedResult(
  rule: RuleCommon,
  fields: {
    score: number;
    actionCode: string | null;
    explanation: string;
    confidenceAdjustment?: number;
    metadata?: JsonObject;
  },
): RuleResult {
  return {
    ruleId: rule.id,
    ruleName: rule.name,
    matched: true,
    score: fields.score,
    actionCode: fields.actionCode,
    explanation: fields.explanation,
    confidenceAdjustment: fields.confidenceAdjustment ?? 0,
    metadata: fields.metadata ?? {},
  };
}

export function unmatchedResult(rule: RuleCommon, explanation: string): RuleResult {
  return {
    ruleId: rule.id,
    ruleName: rule.name,
    matched: false,
    score: 0,
    actionCode: null,
    explanation,
    confidenceAdjustment: 0,
    metadata: {},
  };
}
