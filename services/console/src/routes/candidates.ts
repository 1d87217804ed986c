// Candidates: search by failure_match_id / error code / source / decision (keyset pages, newest
// first), the detail with the suggestion, its selected action, inputs and provenance timeline,
// and approve / reject through the same transaction as POST /api/v1/recovery/approve.
import {
  candidateInputs,
  candidateProvenance,
  decideCandidate,
  DEFAULT_TENANT,
  getCandidate,
  listCandidates,
  selectedAction,
} from "@m10/shared";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { field, type FormBody, requireSession } from "../auth/guard.js";
import type { ConsoleContext } from "../context.js";
import { badRequest, notFound } from "../errors.js";
import { optionalText, pageSize, positiveId } from "../query-params.js";
import { html, query } from "../views/html.js";
import { actionForm, details, filterForm, json, page, selectInput, table, textInput } from "../views/layout.js";

const DECISIONS = ["", "pending", "approved", "rejected"] as const;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PROVENANCE_ROWS = 200;

/** The session's tenant; an admin may look at another with ?tenant= (as the ingest API allows). */
function tenantOf(request: FastifyRequest): string {
  const principal = requireSession(request).principal;
  const asked = optionalText((request.query as { tenant?: string }).tenant, "tenant");
  return asked && principal.roles.includes("admin") ? asked : (principal.tenant ?? DEFAULT_TENANT);
}

export function candidateRoutes(app: FastifyInstance, ctx: ConsoleContext): void {
  app.get("/candidates", async (request, reply) => {
    const q = request.query as Record<string, string | undefined>;
    const fmid = optionalText(q.failure_match_id, "failure_match_id");
    if (fmid && !UUID.test(fmid)) throw badRequest("invalid_failure_match_id", "failure_match_id is a UUID");
    const decision = DECISIONS.find((d) => d === (q.decision ?? ""));
    if (decision === undefined) throw badRequest("invalid_decision", "decision is pending, approved or rejected");
    const errorCode = optionalText(q.error_code, "error_code");
    const source = optionalText(q.source, "source");
    const before = q.before ? positiveId(q.before, "before") : undefined;
    const limit = pageSize(q.limit, ctx.config.M10_CONSOLE_PAGE_SIZE);
    const tenant = tenantOf(request);
    const result = await listCandidates(ctx.pool, {
      tenantId: tenant,
      limit,
      ...(fmid ? { failureMatchId: fmid } : {}),
      ...(decision ? { decision } : {}),
      ...(errorCode ? { errorCode } : {}),
      ...(source ? { source } : {}),
      ...(before ? { beforeId: before } : {}),
    });
    const last = result.rows.at(-1);
    const body = html`
${filterForm(
  "/candidates",
  html`${textInput("failure_match_id", "failure_match_id", fmid)}${textInput("error_code", "Error code", errorCode)}${textInput("source", "Source", source)}${selectInput("decision", "Decision", DECISIONS, decision)}`,
)}
<p class="muted">Tenant ${tenant}.</p>
${table(
  ["id", "failure_match_id", "error code", "source", "decision", "confidence", "occurrences", "evaluated", "last seen"],
  result.rows.map((c) => [html`<a href="/candidates/${c.id}">${c.id}</a>`, c.failure_match_id, c.error_code, c.source, c.decision, c.confidence, c.occurrence_count, c.evaluated_at, c.last_occurrence_at]),
  "No candidates match.",
)}
${result.hasMore && last ? html`<p><a href="/candidates${query({ ...q, before: last.id })}">Older →</a></p>` : ""}`;
    return reply.type("text/html").send(page(request, "Candidates", body));
  });

  app.get("/candidates/:id", async (request, reply) => {
    const id = positiveId((request.params as { id: string }).id, "candidate id");
    const tenant = tenantOf(request);
    const candidate = await getCandidate(ctx.pool, id, tenant);
    if (!candidate) throw notFound(`No candidate ${id} for tenant ${tenant}`);
    const [action, inputs, provenance] = await Promise.all([
      candidate.selected_action_id === null ? undefined : selectedAction(ctx.pool, candidate.selected_action_id, tenant),
      candidateInputs(ctx.pool, id),
      candidateProvenance(ctx.pool, id, { limit: PROVENANCE_ROWS }),
    ]);
    const body = html`
${details({ failure_match_id: candidate.failure_match_id, tenant: candidate.tenant_id, decision: candidate.decision, suggestion: candidate.suggestion, confidence: candidate.confidence, error_code: candidate.error_code, source: candidate.source, occurrences: candidate.occurrence_count, evaluated_at: candidate.evaluated_at, approved_by_human: candidate.approved_by_human, approved_at: candidate.approved_at, review_note: candidate.review_note, execution_status: candidate.execution_status })}
${actionForm(request, {
  action: `/candidates/${id}/decision`,
  label: "Record decision",
  confirm: `Record this decision on candidate ${id}`,
  permission: "recovery:approve",
  extra: html`${selectInput("decision", "Decision", ["approved", "rejected"], candidate.decision === "approved" ? "rejected" : "approved")}<label>Note <input type="text" name="note" required maxlength="200"></label>`,
})}
<h2>Selected action</h2>
${action ? details({ action_code: action.action_code, name: action.name, type: action.action_type, description: action.description, requires_approval: action.requires_approval, success_rate: action.success_rate }) : html`<p class="muted">None selected.</p>`}
<h2>Explanation</h2>
${json(candidate.explain ?? {})}
<h2>Inputs</h2>
${table(["type", "raw", "normalized", "confidence", "weight", "source", "at"], inputs.map((i) => [i.input_type, i.raw_value, i.normalized_value, i.confidence, i.weight, i.source, i.created_at]), "No inputs recorded.")}
<h2>Provenance</h2>
${table(["at", "event", "actor", "rule", "confidence", "details"], provenance.rows.map((p) => [p.created_at, p.event_type, p.actor, p.rule_id, p.confidence_after, p.details]), "No provenance yet.")}
${provenance.hasMore ? html`<p class="muted">First ${PROVENANCE_ROWS} rows; GET /api/v1/recovery/candidates/${id}/provenance pages through the rest.</p>` : ""}`;
    return reply.type("text/html").send(page(request, `Candidate ${id}`, body));
  });

  app.post("/candidates/:id/decision", { config: { action: { permission: "recovery:approve", name: "candidate_decision" } } }, async (request, reply) => {
    const id = positiveId((request.params as { id: string }).id, "candidate id");
    const body = request.body as FormBody;
    const decision = field(body, "decision");
    if (decision !== "approved" && decision !== "rejected") throw badRequest("invalid_decision", "decision is approved or rejected");
    const note = optionalText(field(body, "note"), "note");
    if (!note) throw badRequest("note_required", "A decision needs a note");
    const principal = requireSession(request).principal;
    const candidate = await decideCandidate(ctx.pool, ctx.metrics, {
      candidateId: id,
      tenantId: principal.tenant,
      decision,
      decidedBy: principal.subject,
      note,
      actorType: "human",
      details: { request_id: request.id, subject: principal.subject, via: "console" },
    });
    if (!candidate) throw notFound(`No candidate ${id} for tenant ${principal.tenant}`);
    ctx.metrics.recoveryApprovalsTotal.inc({ decision });
    return reply.type("text/html").send(page(request, `Candidate ${id}`, html`<p id="action-result" class="ok">Candidate ${id} ${decision} by ${principal.subject}.</p><p><a href="/candidates/${id}">Back to the candidate</a></p>`));
  });
}
