// Dead letters (the stream and the archive): list with filters, inspect, replay or resolve one or
// many, and the report by reason. The operations are m10ctl dlq's library calls, acting as
// console:<subject>; replay is idempotent (record_replay), so a double submit does nothing twice.
import {
  DEAD_LETTER_HANDLED_STATUSES,
  type DeadLetterReplayOutcome,
  deadLetterReport,
  inspectDeadLetter,
  listDeadLetterSources,
  replayOneDeadLetter,
  resolveDeadLetter,
  type ResolveOutcome,
} from "@m10/shared";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { field, fieldList, type FormBody, may } from "../auth/guard.js";
import { type ConsoleContext, deadLetterDeps } from "../context.js";
import { badRequest, notFound } from "../errors.js";
import { optionalHours, optionalText, pageSize } from "../query-params.js";
import { html, query } from "../views/html.js";
import { actionForm, details, filterForm, json, page, selectInput, table, textInput } from "../views/layout.js";

/** Most dead letters one bulk action touches (a request stays short; --all is m10ctl's job). */
const BULK_MAX = 500;
const SOURCES = ["all", "stream", "archive"] as const;
const KINDS = ["", "evaluation", "outbox"] as const;

const inspectLink = (id: string | number) => html`<a href="/dead-letters/${encodeURIComponent(String(id))}">${id}</a>`;

function selectBox(request: FastifyRequest, id: string | number): unknown {
  return may(request, "ops:write") ? html`<input type="checkbox" name="id" value="${id}" form="bulk" aria-label="select ${id}">` : "";
}

function bulkForm(request: FastifyRequest): ReturnType<typeof html> {
  const session = request.session;
  if (!session || !may(request, "ops:write")) return html``;
  return html`<form method="post" action="/dead-letters/bulk" id="bulk" class="action">
<input type="hidden" name="_csrf" value="${session.csrf}">
<label>Note (resolve) <input type="text" name="note" value="resolved in the console"></label>
<label class="confirm"><input type="checkbox" name="confirm" value="yes" required> I checked the selected dead letters</label>
<button type="submit" name="op" value="replay" class="primary">Replay selected</button>
<button type="submit" name="op" value="resolve" class="danger">Resolve selected</button>
</form>`;
}

export function deadLetterRoutes(app: FastifyInstance, ctx: ConsoleContext): void {
  app.get("/dead-letters", async (request, reply) => {
    const q = request.query as Record<string, string | undefined>;
    const source = SOURCES.find((s) => s === (q.source ?? "all"));
    if (!source) throw badRequest("invalid_source", "source is all, stream or archive");
    const kind = q.kind ? KINDS.find((k) => k === q.kind) : "";
    if (kind === undefined) throw badRequest("invalid_kind", "kind is evaluation or outbox");
    const reason = optionalText(q.reason, "reason");
    const hours = optionalHours(q.hours);
    const limit = pageSize(q.limit, ctx.config.M10_CONSOLE_PAGE_SIZE);
    const listing = await listDeadLetterSources(deadLetterDeps(ctx, "reader"), {
      limit,
      source,
      filterStream: true,
      ...(reason ? { reason } : {}),
      ...(hours ? { since: new Date(Date.now() - hours * 3_600_000) } : {}),
      ...(kind ? { kind } : {}),
    });
    const body = html`
<p><a href="/dead-letters/report">Report by reason</a></p>
${filterForm(
  "/dead-letters",
  html`${selectInput("source", "Source", SOURCES, source)}${textInput("reason", "Reason", reason, "max_reclaims_exceeded")}${textInput(
    "hours",
    "Newer than (hours)",
    hours ? String(hours) : undefined,
  )}${selectInput("kind", "Kind (archive)", KINDS, kind)}${textInput("limit", "Rows", String(limit))}`,
)}
${bulkForm(request)}
${
  listing.stream
    ? html`<h2>Stream <code>${listing.stream.key}</code>: <span data-count="stream">${listing.stream.length}</span> entries</h2>
${table(
  ["", "id", "original message", "reason", "dead-lettered at", "consumer", "candidate"],
  listing.stream.entries.map((e) => [selectBox(request, e.id), inspectLink(e.id), e.originalMsgId, e.reason, e.deadLetteredAt, e.consumer, e.candidateId]),
  "The dead-letter stream is empty (for these filters).",
)}`
    : ""
}
${
  listing.archive
    ? html`<h2>Archive <code>m10_recovery.dead_letter_archive</code></h2>
${table(
  ["", "id", "original message", "reason", "failed at", "candidate", "archived by"],
  listing.archive.rows.map((r) => [selectBox(request, r.id), inspectLink(r.id), r.original_msg_id, r.reason, r.dead_lettered_at, r.candidate_id, r.archived_by]),
  "No archived dead letters (for these filters).",
)}`
    : ""
}`;
    return reply.type("text/html").send(page(request, "Dead letters", body));
  });

  app.get("/dead-letters/report", async (request, reply) => {
    const hours = optionalHours((request.query as { hours?: string }).hours) ?? 24;
    const report = await deadLetterReport(deadLetterDeps(ctx, "reader"), hours);
    const reasonRows = (rows: typeof report.archive.by_reason) =>
      rows.map((r) => [html`<a href="/dead-letters${query({ reason: r.reason })}">${r.reason}</a>`, r.count, r.oldest, r.newest]);
    const body = html`
${filterForm("/dead-letters/report", textInput("hours", "Window (hours)", String(hours)))}
<p>Since ${report.since}.</p>
<h2>Archive (${report.archive.total})</h2>
${table(["reason", "count", "oldest", "newest"], reasonRows(report.archive.by_reason))}
<h2>Stream ${report.stream.key} (${report.stream.total})</h2>
${report.stream.error ? html`<p class="warning">Stream read failed: ${report.stream.error}</p>` : ""}
${table(["reason", "count", "oldest", "newest"], reasonRows(report.stream.by_reason))}
<h2>Replays</h2>
${table(["status", "count"], report.replays.by_status.map((r) => [r.status, r.count]))}`;
    return reply.type("text/html").send(page(request, "Dead letters by reason", body));
  });

  app.get("/dead-letters/:id", async (request, reply) => {
    const { id } = request.params as { id: string };
    const found = await inspectDeadLetter(deadLetterDeps(ctx, "reader"), id);
    if (!found) throw notFound(`No dead letter ${id} in ${ctx.keys.deadLetter} or dead_letter_archive`);
    const { entry, archive, replay, candidate } = found;
    const handled = replay !== null;
    const body = html`
<section class="actions">
${
  handled
    ? html`<p class="ok">Handled: ${replay.status} at ${replay.replayed_at} by ${replay.replayed_by}${replay.new_msg_id ? html` → ${replay.new_msg_id}` : ""}.</p>`
    : html`${actionForm(request, { action: "/dead-letters/bulk", label: "Replay", confirm: `Replay dead letter ${id}`, permission: "ops:write", fields: { id, op: "replay" } })}
${actionForm(request, {
  action: "/dead-letters/bulk",
  label: "Resolve",
  confirm: `Resolve dead letter ${id} without replaying it`,
  permission: "ops:write",
  fields: { id, op: "resolve" },
  extra: html`<label>Note <input type="text" name="note" value="resolved in the console"></label>`,
  danger: true,
})}`
}
</section>
<h2>Candidate</h2>
${candidate ? html`${details({ id: html`<a href="/candidates/${candidate.id}">${candidate.id}</a>`, decision: candidate.decision, evaluated_at: candidate.evaluated_at, evaluation_claimed_by: candidate.evaluation_claimed_by, error_code: candidate.error_code, suggestion: candidate.suggestion, confidence: candidate.confidence })}<p id="evaluation-state" data-evaluated="${candidate.evaluated_at ? "yes" : "no"}">${candidate.evaluated_at ? "Evaluated." : "Not evaluated yet."}</p>` : html`<p class="muted">No candidate.</p>`}
<h2>Stream entry</h2>
${entry ? details(entry.fields) : html`<p class="muted">Not in the stream.</p>`}
<h2>Archive row</h2>
${archive ? html`${details({ id: archive.id, dl_msg_id: archive.dl_msg_id, original_msg_id: archive.original_msg_id, reason: archive.reason, reclaim_count: archive.reclaim_count, dead_lettered_at: archive.dead_lettered_at, archived_at: archive.archived_at, archived_by: archive.archived_by })}<h3>Payload</h3>${json(archive.payload)}` : html`<p class="muted">Not archived.</p>`}
<h2>Replay history</h2>
${replay ? details({ status: replay.status, replayed_at: replay.replayed_at, replayed_by: replay.replayed_by, new_msg_id: replay.new_msg_id }) : html`<p class="muted">Never replayed or resolved.</p>`}`;
    return reply.type("text/html").send(page(request, `Dead letter ${id}`, body));
  });

  app.post("/dead-letters/bulk", { config: { action: { permission: "ops:write", name: "dead_letters" } } }, async (request, reply) => {
    const body = request.body as FormBody;
    const op = field(body, "op");
    if (op !== "replay" && op !== "resolve") throw badRequest("invalid_op", "op is replay or resolve");
    const ids = [...new Set(fieldList(body, "id"))];
    if (ids.length === 0) throw badRequest("no_selection", "Select at least one dead letter");
    if (ids.length > BULK_MAX) throw badRequest("too_many", `At most ${BULK_MAX} dead letters per action (m10ctl dlq replay --all for the whole stream)`);
    const deps = deadLetterDeps(ctx, request.session?.principal.subject ?? "unknown");
    const note = optionalText(field(body, "note"), "note") ?? "resolved in the console";
    const rows: unknown[][] = [];
    // One at a time: each is its own idempotent library call, as m10ctl makes them.
    for (const id of ids) {
      if (op === "replay") {
        const r: DeadLetterReplayOutcome = await replayOneDeadLetter(deps, id, false);
        rows.push([inspectLink(r.id), r.status, DEAD_LETTER_HANDLED_STATUSES.includes(r.status) ? "ok" : "refused", r.candidate_id, r.new_message_id]);
      } else {
        const r: ResolveOutcome = await resolveDeadLetter(deps, id, note);
        rows.push([inspectLink(r.id), r.status, r.status === "not_found" ? "refused" : "ok", r.archive_id, r.removed_from_stream ? "removed from the stream" : ""]);
      }
    }
    const headers = op === "replay" ? ["id", "status", "result", "candidate", "new message"] : ["id", "status", "result", "archive row", "stream"];
    return reply.type("text/html").send(page(request, op === "replay" ? "Replay" : "Resolve", html`<div id="action-result">${table(headers, rows)}</div><p><a href="/dead-letters">Back to dead letters</a></p>`));
  });
}
