// Database rows → JSON bodies: timestamps as ISO-8601 strings, catalogue defaults filled in.
import type { ActionRow, CandidateRow, InputRow, PinRow, ProvenanceRow } from "@m10/shared";

export const iso = (value: Date | null | undefined): string | null => (value ? value.toISOString() : null);

export function candidateJson(row: CandidateRow) {
  return {
    id: row.id,
    failure_match_id: row.failure_match_id,
    suggestion: row.suggestion,
    confidence: row.confidence,
    explain: row.explain ?? {},
    decision: row.decision,
    occurrence_count: row.occurrence_count,
    last_occurrence_at: iso(row.last_occurrence_at),
    created_at: iso(row.created_at),
    approved_by_human: row.approved_by_human,
    approved_at: iso(row.approved_at),
    review_note: row.review_note,
    error_code: row.error_code,
    source: row.source,
    execution_status: row.execution_status,
    evaluated_at: iso(row.evaluated_at),
  };
}

export function actionJson(row: ActionRow) {
  return {
    id: row.id,
    action_code: row.action_code,
    name: row.name,
    description: row.description,
    action_type: row.action_type,
    template: row.template ?? {},
    applies_to_error_codes: row.applies_to_error_codes ?? [],
    applies_to_skills: row.applies_to_skills ?? [],
    success_rate: row.success_rate ?? 0,
    total_applications: row.total_applications ?? 0,
    is_automated: row.is_automated ?? false,
    requires_approval: row.requires_approval ?? true,
    priority: row.priority ?? 50,
    is_active: row.is_active ?? true,
  };
}

export function inputJson(row: InputRow) {
  return { ...row, created_at: iso(row.created_at) };
}

export function provenanceJson(row: ProvenanceRow) {
  return { ...row, created_at: iso(row.created_at) };
}

export function pinJson(row: PinRow) {
  return {
    id: row.id,
    tenant_id: row.tenant_id,
    key: row.key,
    value: row.value,
    source: row.source,
    created_at: iso(row.created_at) as string,
    updated_at: iso(row.updated_at) as string,
    ttl_seconds: row.ttl_seconds,
    expires_at: iso(row.expires_at),
  };
}
