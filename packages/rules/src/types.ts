// Shared types of the rule engine. The predecessor's snake_case names are listed in README.md.

/** A value that survives JSON.stringify unchanged (what jsonb columns and HTTP bodies hold). */
export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;
export type JsonObject = { [key: string]: JsonValue };

/**
 * One past candidate with the same error code or signature, and how its recovery went.
 * The caller (claim-worker) reads these from the database; this package never does I/O.
 */
export interface HistoricalMatch {
  /** The action the past candidate applied (predecessor: `recovery_suggestion`). */
  actionCode: string | null;
  /** Whether applying it succeeded (predecessor: `recovery_succeeded`). */
  succeeded: boolean;
  /** Optional, for the caller's provenance; the engine does not read it. */
  candidateId?: number;
}

/** What the caller knows about a failure. Omitted fields take the defaults in `resolveContext`. */
export interface RuleContext {
  errorCode: string;
  errorMessage?: string;
  skillId?: string | null;
  tenantId?: string | null;
  agentId?: string | null;
  /** How many times this failure has occurred; defaults to 1. */
  occurrenceCount?: number;
  historicalMatches?: readonly HistoricalMatch[];
  metadata?: Readonly<JsonObject>;
}

/** The context as rules see it: every field present. */
export interface ResolvedRuleContext {
  errorCode: string;
  errorMessage: string;
  skillId: string | null;
  tenantId: string | null;
  agentId: string | null;
  occurrenceCount: number;
  historicalMatches: readonly HistoricalMatch[];
  metadata: Readonly<JsonObject>;
}

/** The verdict of one rule on one context. */
export interface RuleResult {
  ruleId: string;
  ruleName: string;
  matched: boolean;
  /** Usually 0..1, but a weight above 1 can push it higher; the engine does not clamp it. */
  score: number;
  actionCode: string | null;
  explanation: string;
  /** Added to the engine's confidence when this rule matched. */
  confidenceAdjustment: number;
  metadata: JsonObject;
}

/** Fields every rule has. */
export interface RuleCommon {
  id: string;
  name: string;
  /** Higher runs (and wins score ties) first. */
  priority: number;
  /** Multiplies the rule's score. */
  weight: number;
}

/** Matches when the upper-cased error code contains one of the (upper-cased) patterns. */
export interface ErrorCodeRule extends RuleCommon {
  kind: "error_code";
  patterns: readonly string[];
  actionCode: string;
  score: number;
}

/** Matches when past candidates for this failure mostly recovered; recommends their most common action. */
export interface HistoricalPatternRule extends RuleCommon {
  kind: "historical_pattern";
  minOccurrences: number;
  minSuccessRate: number;
}

/** Matches when the failing skill is one of `skillIds`. */
export interface SkillSpecificRule extends RuleCommon {
  kind: "skill_specific";
  skillIds: readonly string[];
  actionCode: string;
  score: number;
}

/** Matches when the failure has occurred at least `threshold` times. */
export interface OccurrenceThresholdRule extends RuleCommon {
  kind: "occurrence_threshold";
  threshold: number;
  actionCode: string;
  score: number;
}

/** Combines sub-rules: "and" needs all of them to match (score = min), "or" any (score = max). */
export interface CompositeRule extends RuleCommon {
  kind: "composite";
  rules: readonly Rule[];
  logic: "and" | "or";
}

/** What a custom rule's function returns; the engine adds the id, name and weight. */
export interface CustomRuleOutcome {
  matched: boolean;
  /** Before weighting; ignored (0) when not matched. */
  score?: number;
  actionCode?: string | null;
  explanation?: string;
  confidenceAdjustment?: number;
  metadata?: JsonObject;
}

/** An extension point: any pure function of the context. A throw makes the rule unmatched. */
export interface CustomRule extends RuleCommon {
  kind: "custom";
  evaluate: (context: ResolvedRuleContext) => CustomRuleOutcome;
}

export type Rule =
  | ErrorCodeRule
  | HistoricalPatternRule
  | SkillSpecificRule
  | OccurrenceThresholdRule
  | CompositeRule
  | CustomRule;

/** The `explain` jsonb written on a candidate after evaluation. */
export type EvaluationExplain = {
  method: "rule_engine";
  recommended_action: string | null;
  selected_rule_id: string | null;
  total_score: number;
  confidence: number;
  explanation: string;
  /** The matched rules in ranking order (score desc, then priority). */
  matched_rules: {
    rule_id: string;
    rule_name: string;
    score: number;
    action_code: string | null;
    confidence_adjustment: number;
    explanation: string;
  }[];
  context: {
    error_code: string;
    skill_id: string | null;
    tenant_id: string | null;
    occurrence_count: number;
    historical_matches: number;
  };
};

/** Everything `evaluate` decides about one failure. */
export interface EvaluationResult {
  /** The recommended action (predecessor: `recommended_action`); null when no matched rule has one. */
  actionCode: string | null;
  /** The rule whose action was chosen (for provenance). */
  selectedRuleId: string | null;
  /** Mean of the top three matched scores, 4 decimals, not clamped (predecessor: `total_score`). */
  score: number;
  /** clamp01(score + every matched rule's adjustment), 4 decimals. */
  confidence: number;
  /** The top three matched explanations joined with "; ", or "No rules matched". */
  explanation: string;
  /** Human-readable recovery text for `recovery_candidates.suggestion`. */
  suggestion: string;
  /** Every rule's result, in evaluation (priority) order. */
  rulesEvaluated: RuleResult[];
  /** Ready for the `explain` jsonb column. */
  explain: EvaluationExplain;
  durationMs: number;
}
