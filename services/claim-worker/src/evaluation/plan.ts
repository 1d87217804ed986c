// Pure: from a leased candidate, its history and the rule engine's verdict to the rows the
// evaluation transaction writes (docs/architecture.md §1, write). No I/O here, so every row shape is testable.
import { evaluate, type EvaluationResult, type HistoricalMatch, normalizeErrorMessage, type RuleContext } from "@m10/rules";
import { CANDIDATE_AGGREGATE, type OutboxEventInput, RECOVERY_ACTION_REQUESTED, RECOVERY_SUGGESTED } from "@m10/shared";
import type { QueueEntry } from "../queue-entry.js";
import type { CatalogueAction } from "./actions.js";
import type { LeasedCandidate } from "./candidate-lease.js";
import { compactRulesEvaluated } from "./rules-evaluated.js";

export const UNKNOWN_ERROR_CODE = "UNKNOWN";

function text(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

/** Where the raw error message was found: the candidate's ingest explain, else the stream metadata. */
export interface MessageSource {
  message: string;
  from: "candidate_explain" | "stream_metadata" | "unknown";
}

/**
 * The failure's raw error message. Ingest stores it in the candidate's `explain` at ingest time
 * (`error_message`, or `raw` as in the failure payload); a stream entry's metadata may carry it too.
 */
export function rawErrorMessage(candidate: LeasedCandidate, metadata: Record<string, unknown>): MessageSource {
  const explain = candidate.explain ?? {};
  const fromExplain = text(explain.error_message) ?? text(explain.raw);
  if (fromExplain !== null) return { message: fromExplain, from: "candidate_explain" };
  const fromMetadata = text(metadata.error_message) ?? text(metadata.raw);
  if (fromMetadata !== null) return { message: fromMetadata, from: "stream_metadata" };
  return { message: "", from: "unknown" };
}

export function ruleContextFor(candidate: LeasedCandidate, entry: QueueEntry, history: readonly HistoricalMatch[]): RuleContext {
  const explain = candidate.explain ?? {};
  const pick = (name: string) => text(explain[name]) ?? text(entry.metadata[name]);
  return {
    errorCode: candidate.error_code ?? UNKNOWN_ERROR_CODE,
    errorMessage: rawErrorMessage(candidate, entry.metadata).message,
    skillId: pick("skill_id"),
    tenantId: candidate.tenant_id,
    agentId: pick("agent_id"),
    occurrenceCount: candidate.occurrence_count,
    historicalMatches: history,
  };
}

export interface RuleVerdict {
  candidate: LeasedCandidate;
  entry: QueueEntry;
  history: readonly HistoricalMatch[];
  message: MessageSource;
  result: EvaluationResult;
}

export function runRules(candidate: LeasedCandidate, entry: QueueEntry, history: readonly HistoricalMatch[]): RuleVerdict {
  return {
    candidate,
    entry,
    history,
    message: rawErrorMessage(candidate, entry.metadata),
    result: evaluate(ruleContextFor(candidate, entry, history)),
  };
}

export interface CandidateUpdateRow {
  id: number;
  suggestion: string;
  confidence: number;
  action_id: number | null;
  rules_evaluated: unknown;
  explain: unknown;
  auto_execute: boolean;
}

export interface InputInsert {
  suggestion_id: number;
  recovery_candidate_id: number;
  input_type: "error_code" | "error_message" | "historical_pattern";
  raw_value: string;
  normalized_value: string;
  parsed_data: Record<string, unknown>;
  confidence: number;
  weight: number;
  source: string;
}

export interface ProvenanceInsert {
  suggestion_id: number;
  event_type: "created" | "input_added" | "rule_evaluated" | "action_selected" | "confidence_updated";
  details: Record<string, unknown>;
  rule_id: string | null;
  action_id: number | null;
  confidence_before: number | null;
  confidence_after: number | null;
  actor: string;
  actor_type: "system";
  duration_ms: number | null;
}

export interface EvaluationPlan {
  candidateId: number;
  /** recovery_candidates.source, for recovery_suggestions_total{source}. */
  candidateSource: string;
  verdict: RuleVerdict;
  action: CatalogueAction | null;
  autoExecute: boolean;
  update: CandidateUpdateRow;
  inputs: InputInsert[];
  provenance: ProvenanceInsert[];
}

export interface PlanSettings {
  /** RECOVERY_AUTO_EXECUTE_MIN_CONFIDENCE. */
  autoExecuteMinConfidence: number;
  /** Written as provenance actor (the worker's holder id). */
  actor: string;
}

/** An action is requested automatically only when it is automated, needs no approval and the confidence is high enough. */
export function shouldAutoExecute(action: CatalogueAction | null, confidence: number, minConfidence: number): boolean {
  return action !== null && action.is_automated && !action.requires_approval && confidence >= minConfidence;
}

function historySummary(history: readonly HistoricalMatch[]) {
  const successes = history.filter((match) => match.succeeded).length;
  const actions: Record<string, { applied: number; succeeded: number }> = {};
  for (const match of history) {
    const code = match.actionCode ?? "(none)";
    const counts = (actions[code] ??= { applied: 0, succeeded: 0 });
    counts.applied += 1;
    if (match.succeeded) counts.succeeded += 1;
  }
  return { matches: history.length, successes, success_rate: history.length ? Math.round((successes / history.length) * 10_000) / 10_000 : 0, actions };
}

export function planEvaluation(verdict: RuleVerdict, action: CatalogueAction | null, settings: PlanSettings): EvaluationPlan {
  const { candidate, entry, result, history, message } = verdict;
  const id = candidate.id;
  const errorCode = candidate.error_code ?? UNKNOWN_ERROR_CODE;
  const autoExecute = shouldAutoExecute(action, result.confidence, settings.autoExecuteMinConfidence);
  const explain = {
    ...result.explain,
    selected_action_id: action?.id ?? null,
    ...(result.actionCode !== null && action === null ? { action_unavailable: result.actionCode } : {}),
    auto_execute: autoExecute,
    // What ingest knew (source, ingested_at, the raw message), kept next to the verdict.
    ingest: candidate.explain ?? {},
  };

  const inputs: InputInsert[] = [
    {
      suggestion_id: id,
      recovery_candidate_id: id,
      input_type: "error_code",
      raw_value: errorCode,
      normalized_value: errorCode.toUpperCase(),
      parsed_data: { error_signature: candidate.error_signature },
      confidence: 1,
      weight: 1,
      source: "ingest",
    },
    {
      suggestion_id: id,
      recovery_candidate_id: id,
      input_type: "error_message",
      raw_value: message.message,
      normalized_value: normalizeErrorMessage(message.message),
      parsed_data: { found_in: message.from, error_signature: candidate.error_signature },
      confidence: 1,
      weight: 1,
      source: message.from === "stream_metadata" ? "stream" : "ingest",
    },
  ];
  if (history.length > 0) {
    const summary = historySummary(history);
    inputs.push({
      suggestion_id: id,
      recovery_candidate_id: id,
      input_type: "historical_pattern",
      raw_value: `${summary.successes}/${summary.matches} past recoveries of ${errorCode} succeeded`,
      normalized_value: errorCode.toUpperCase(),
      parsed_data: summary,
      confidence: summary.success_rate,
      weight: 1,
      source: "history",
    });
  }

  const base = { suggestion_id: id, actor: settings.actor, actor_type: "system" as const };
  const matched = result.rulesEvaluated.filter((rule) => rule.matched).map((rule) => rule.ruleId);
  const provenance: ProvenanceInsert[] = [
    {
      ...base,
      event_type: "created",
      details: {
        queue: entry.source,
        message_id: entry.messageId || undefined,
        work_id: entry.work?.workId,
        ...(entry.deliveries !== null ? { deliveries: entry.deliveries } : {}),
        failure_match_id: candidate.failure_match_id,
        candidate_source: candidate.source,
      },
      rule_id: null,
      action_id: null,
      confidence_before: null,
      confidence_after: null,
      duration_ms: null,
    },
    {
      ...base,
      event_type: "input_added",
      details: { input_types: inputs.map((input) => input.input_type) },
      rule_id: null,
      action_id: null,
      confidence_before: null,
      confidence_after: null,
      duration_ms: null,
    },
    {
      ...base,
      event_type: "rule_evaluated",
      details: {
        rules_evaluated: result.rulesEvaluated.length,
        matched_rules: matched,
        total_score: result.score,
        explanation: result.explanation,
        recommended_action: result.actionCode,
      },
      rule_id: result.selectedRuleId,
      action_id: null,
      confidence_before: null,
      confidence_after: result.confidence,
      duration_ms: result.durationMs,
    },
  ];
  if (action) {
    provenance.push({
      ...base,
      event_type: "action_selected",
      details: {
        action_code: action.action_code,
        action_type: action.action_type,
        is_automated: action.is_automated,
        requires_approval: action.requires_approval,
        auto_execute: autoExecute,
      },
      rule_id: result.selectedRuleId,
      action_id: action.id,
      confidence_before: null,
      confidence_after: result.confidence,
      duration_ms: null,
    });
  }
  provenance.push({
    ...base,
    event_type: "confidence_updated",
    details: { total_score: result.score, method: "rule_engine" },
    rule_id: result.selectedRuleId,
    action_id: action?.id ?? null,
    confidence_before: candidate.confidence,
    confidence_after: result.confidence,
    duration_ms: null,
  });

  return {
    candidateId: id,
    candidateSource: candidate.source ?? "unknown",
    verdict,
    action,
    autoExecute,
    update: {
      id,
      suggestion: result.suggestion,
      confidence: result.confidence,
      action_id: action?.id ?? null,
      rules_evaluated: compactRulesEvaluated(result),
      explain,
      auto_execute: autoExecute,
    },
    inputs,
    provenance,
  };
}

/** recovery.suggested always; recovery.action_requested when the action is to be executed automatically. */
export function outboxEventsFor(plan: EvaluationPlan, evaluatedAt: Date): OutboxEventInput[] {
  const { candidate, result } = plan.verdict;
  const aggregateId = String(plan.candidateId);
  const events: OutboxEventInput[] = [
    {
      aggregateType: CANDIDATE_AGGREGATE,
      aggregateId,
      eventType: RECOVERY_SUGGESTED,
      payload: {
        candidate_id: plan.candidateId,
        failure_match_id: candidate.failure_match_id,
        error_code: candidate.error_code,
        error_signature: candidate.error_signature,
        source: candidate.source,
        occurrence_count: candidate.occurrence_count,
        suggestion: result.suggestion,
        confidence: result.confidence,
        total_score: result.score,
        recommended_action: result.actionCode,
        selected_action_id: plan.action?.id ?? null,
        selected_rule_id: result.selectedRuleId,
        auto_execute: plan.autoExecute,
        evaluated_at: evaluatedAt.toISOString(),
      },
    },
  ];
  if (plan.autoExecute && plan.action) {
    events.push({
      aggregateType: CANDIDATE_AGGREGATE,
      aggregateId,
      eventType: RECOVERY_ACTION_REQUESTED,
      payload: {
        candidate_id: plan.candidateId,
        failure_match_id: candidate.failure_match_id,
        action_id: plan.action.id,
        action_code: plan.action.action_code,
        action_type: plan.action.action_type,
        template: plan.action.template,
        confidence: result.confidence,
        requested_at: evaluatedAt.toISOString(),
      },
    });
  }
  return events;
}
