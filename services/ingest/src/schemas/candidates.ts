// The rest of the recovery API: the predecessor's routes and fields, with real totals and counts
// (docs/architecture.md §4.5, predecessor defect D10 in §5.3).
import { Type, type Static } from "typebox";
import { EXECUTION_STATUSES } from "@m10/shared";
import { IntegerId, Nullable, Text, Timestamp } from "./common.js";

/** ?tenant=: only an admin may name a tenant other than its token's (docs/architecture.md §4.6). */
const TenantParam = Text(256, { minLength: 1, description: "admin only: act on this tenant instead of the token's" });


export const Candidate = Type.Object({
  id: Type.Integer(),
  failure_match_id: Type.String(),
  suggestion: Type.String(),
  confidence: Type.Number(),
  explain: Type.Unknown(),
  decision: Nullable(Type.String()),
  occurrence_count: Type.Integer(),
  last_occurrence_at: Nullable(Timestamp),
  created_at: Nullable(Timestamp),
  approved_by_human: Nullable(Type.String()),
  approved_at: Nullable(Timestamp),
  review_note: Nullable(Type.String()),
  error_code: Nullable(Type.String()),
  source: Nullable(Type.String()),
  execution_status: Nullable(Type.String()),
  evaluated_at: Nullable(Timestamp),
});

export const CandidateListQuery = Type.Object({
  status: Type.Optional(
    Type.Union([Type.Literal("pending"), Type.Literal("approved"), Type.Literal("rejected"), Type.Literal("all")], {
      description: 'decision filter (default "pending"; "all" disables it)',
    }),
  ),
  decision: Type.Optional(Type.Union([Type.Literal("pending"), Type.Literal("approved"), Type.Literal("rejected")], { description: "same as status" })),
  error_code: Type.Optional(Text(256)),
  source: Type.Optional(Text(128)),
  since: Type.Optional(Type.String({ format: "date-time", description: "created at or after (ISO-8601)" })),
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
  cursor: Type.Optional(Type.String({ maxLength: 200, description: "the previous page's next_cursor" })),
  offset: Type.Optional(Type.Integer({ minimum: 0, description: "only 0 (pages are cursor-based: offset > 0 is 400 offset_unsupported)" })),
  tenant: Type.Optional(TenantParam),
});
export type CandidateListQuery = Static<typeof CandidateListQuery>;

export const CandidateList = Type.Object({
  candidates: Type.Array(Candidate),
  limit: Type.Integer(),
  next_cursor: Nullable(Type.String({ description: "pass as ?cursor= for the next page; null on the last page" })),
});

export const CandidateParams = Type.Object({ id: IntegerId });
export type CandidateParams = Static<typeof CandidateParams>;

export const TenantQuery = Type.Object({ tenant: Type.Optional(TenantParam) });

export const CandidateDetailQuery = Type.Object({
  include_provenance: Type.Boolean({ default: true }),
  include_inputs: Type.Boolean({ default: true }),
  provenance_limit: Type.Integer({ minimum: 1, maximum: 500, default: 50, description: "provenance rows in the detail; the rest from /candidates/{id}/provenance" }),
  tenant: Type.Optional(TenantParam),
});

export const ProvenanceQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
  cursor: Type.Optional(Type.String({ maxLength: 200, description: "the previous page's next_cursor" })),
  tenant: Type.Optional(TenantParam),
});

export const ProvenancePage = Type.Object({
  candidate_id: Type.Integer(),
  provenance: Type.Array(Type.Unknown()),
  next_cursor: Nullable(Type.String()),
});

export const Action = Type.Object({
  id: Type.Integer(),
  action_code: Type.String(),
  name: Type.String(),
  description: Nullable(Type.String()),
  action_type: Type.String(),
  template: Type.Unknown(),
  applies_to_error_codes: Type.Array(Type.String()),
  applies_to_skills: Type.Array(Type.String()),
  success_rate: Type.Number(),
  total_applications: Type.Integer(),
  is_automated: Type.Boolean(),
  requires_approval: Type.Boolean(),
  priority: Type.Integer(),
  is_active: Type.Boolean(),
});

export const CandidateDetail = Type.Evaluate(Type.Intersect([
  Candidate,
  Type.Object({
    selected_action: Nullable(Action),
    inputs: Type.Array(Type.Unknown()),
    provenance: Type.Array(Type.Unknown()),
    provenance_next_cursor: Nullable(Type.String({ description: "more provenance: GET /candidates/{id}/provenance?cursor=" })),
    rules_evaluated: Type.Unknown(),
    executed_at: Nullable(Timestamp),
    execution_result: Type.Unknown(),
  }),
]));

export const OutcomeBody = Type.Object(
  {
    execution_status: Type.Optional(Type.Union(EXECUTION_STATUSES.map((s) => Type.Literal(s)))),
    selected_action_id: Type.Optional(IntegerId),
    execution_result: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    note: Type.Optional(Text(2_000)),
  },
  { additionalProperties: true },
);
export type OutcomeBody = Static<typeof OutcomeBody>;

export const OutcomeResponse = Type.Object({
  status: Type.Literal("updated"),
  candidate_id: Type.Integer(),
  updates_applied: Type.Array(Type.String()),
  execution_status: Nullable(Type.String()),
  executed_at: Nullable(Timestamp),
});

export const ApproveBody = Type.Object(
  {
    candidate_id: IntegerId,
    approved_by: Type.Optional(Text(256, { minLength: 1, description: "a note naming the reviewer; the decision is recorded as the token's subject" })),
    decision: Type.Union([Type.Literal("approved"), Type.Literal("rejected")]),
    note: Type.Optional(Text(2_000)),
  },
  { additionalProperties: true },
);
export type ApproveBody = Static<typeof ApproveBody>;

export const DeleteResponse = Type.Object({ status: Type.Literal("deleted"), candidate_id: Type.Integer() });

export const ActionListQuery = Type.Object({
  action_type: Type.Optional(Text(64)),
  active_only: Type.Boolean({ default: true }),
  limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
  tenant: Type.Optional(TenantParam),
});
export type ActionListQuery = Static<typeof ActionListQuery>;

export const ActionList = Type.Object({ actions: Type.Array(Action), total: Type.Integer() });

export const EvaluateBody = Type.Object(
  {
    error_code: Text(256, { minLength: 1 }),
    error_message: Type.String({ maxLength: 100_000 }),
    skill_id: Type.Optional(Nullable(Text(256))),
    tenant_id: Type.Optional(Nullable(Text(256))),
    occurrence_count: Type.Integer({ minimum: 1, maximum: 2_147_483_647, default: 1 }),
  },
  { additionalProperties: true },
);
export type EvaluateBody = Static<typeof EvaluateBody>;

const RuleResultJson = Type.Object({
  rule_id: Type.String(),
  rule_name: Type.String(),
  matched: Type.Boolean(),
  score: Type.Number(),
  action_code: Nullable(Type.String()),
  explanation: Type.String(),
  confidence_adjustment: Type.Number(),
  metadata: Type.Unknown(),
});

export const EvaluateResponse = Type.Object({
  recommended_action: Nullable(Type.String()),
  confidence: Type.Number(),
  total_score: Type.Number(),
  rules_evaluated: Type.Array(RuleResultJson),
  explanation: Type.String(),
  duration_ms: Type.Number(),
});

export const StatsResponse = Type.Object({
  total_candidates: Type.Integer(),
  pending: Type.Integer(),
  approved: Type.Integer(),
  rejected: Type.Integer(),
  approval_rate: Type.Number({ description: "approved / (approved + rejected), 0 when none decided" }),
  awaiting_evaluation: Type.Integer(),
  executing: Type.Integer(),
  succeeded: Type.Integer(),
  failed: Type.Integer(),
});
