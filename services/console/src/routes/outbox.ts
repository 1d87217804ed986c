// The outbox: counts, events by state (pending, retrying, claimed with holder and lease age,
// dead-lettered), a summary per event type (success rate, last error), the throttle windows in
// Redis and the processor's last batch; the runbook's reset for one event or every stuck one.
import {
  DEAD_LETTER_PROCESSOR,
  errorMessage,
  listOutboxEvents,
  OUTBOX_STATES,
  outboxEventState,
  outboxHealthCounts,
  outboxLagSeconds,
  outboxThrottleWindows,
  outboxTotals,
  outboxTypeSummary,
  resetStuckOutboxEvents,
  retryOutboxEvent,
  serviceHealth,
  truncateCodePoints,
} from "@m10/shared";
import type { FastifyInstance } from "fastify";
import { type ConsoleContext, readyRedis } from "../context.js";
import { badRequest, ConsoleError } from "../errors.js";
import { pageSize, positiveId } from "../query-params.js";
import { html } from "../views/html.js";
import { actionForm, details, json, page, table } from "../views/layout.js";

const SUMMARY_HOURS = 24;

export function outboxRoutes(app: FastifyInstance, ctx: ConsoleContext): void {
  app.get("/outbox", async (request, reply) => {
    const q = request.query as { state?: string; limit?: string };
    const state = OUTBOX_STATES.find((s) => s === (q.state ?? "pending"));
    if (!state) throw badRequest("invalid_state", `state is one of ${OUTBOX_STATES.join(", ")}`);
    const limit = pageSize(q.limit, ctx.config.M10_CONSOLE_PAGE_SIZE);
    const [totals, counts, lag, events, summary, throttles, processor] = await Promise.all([
      outboxTotals(ctx.pool),
      outboxHealthCounts(ctx.pool, ctx.config.OUTBOX_MAX_RETRIES),
      outboxLagSeconds(ctx.pool),
      listOutboxEvents(ctx.pool, state, limit),
      outboxTypeSummary(ctx.pool, SUMMARY_HOURS),
      readyRedis(ctx)
        .then((redis) => outboxThrottleWindows(redis, ctx.keys))
        .catch((error: unknown) => errorMessage(error)),
      serviceHealth("outbox-processor", ctx.config.OUTBOX_PROCESSOR_URL, { timeoutMs: ctx.config.M10_HEALTH_TIMEOUT_MS }),
    ]);
    const resettable = state === "pending" || state === "retrying" || state === "claimed";
    const lastBatch = processor.body && typeof processor.body === "object" ? (processor.body as { last_batch?: unknown }).last_batch : undefined;
    const body = html`
${details({ total: totals.total, pending: totals.pending, processed: totals.processed, "oldest pending lag (s)": lag === null ? null : Math.round(lag), [`stuck (retry_count ≥ ${ctx.config.OUTBOX_MAX_RETRIES})`]: counts.stuck, "dead-lettered": counts.dead_lettered, "leased now": counts.leased })}
${actionForm(request, { action: "/outbox/reset-stuck", label: "Reset every stuck event", confirm: `Reset the ${counts.stuck} event(s) with retry_count ≥ ${ctx.config.OUTBOX_MAX_RETRIES} (due now, retry_count 0)`, permission: "ops:write" })}
<nav class="tabs">${OUTBOX_STATES.map((s) => html`<a href="/outbox?state=${s}"${s === state ? html` class="active"` : ""}>${s}</a>`)}</nav>
<h2>${state} events</h2>
${table(
  ["id", "event type", "aggregate", "retries", "created", "next retry", "claimed by", "lease age (s)", "last error", ""],
  events.map((e) => [
    e.id,
    e.event_type,
    e.aggregate_id,
    e.retry_count,
    e.created_at,
    e.next_retry_at,
    e.claimed_by,
    e.lease_age_seconds === null ? null : Math.round(e.lease_age_seconds),
    e.last_error ? truncateCodePoints(e.last_error, 120) : null,
    resettable ? actionForm(request, { action: `/outbox/${e.id}/reset`, label: "Reset", confirm: `reset ${e.id}`, permission: "ops:write" }) : state === "dead" ? html`<a href="/dead-letters/outbox:${e.id}">dead letter</a>` : "",
  ]),
  `No ${state} events.`,
)}
<h2>By event type (last ${SUMMARY_HOURS} h)</h2>
${table(
  ["event type", "events", "delivered", "dead-lettered", "waiting", "success rate", "last error", "at"],
  summary.map((r) => [r.event_type, r.total, r.delivered, r.dead_lettered, r.waiting, r.success_rate === null ? null : `${(r.success_rate * 100).toFixed(1)} %`, r.last_error ? truncateCodePoints(r.last_error, 120) : null, r.last_error_at]),
)}
<h2>Throttle windows (per target)</h2>
${typeof throttles === "string" ? html`<p class="warning">Redis does not answer: ${throttles}</p>` : table(["target", "rpm", "used in window", "window ends in (ms)"], throttles.map((t) => [t.target, t.rpm, t.used, t.msLeft]), "No throttle window open (no throttled target delivered recently).")}
<h2>Outbox processor</h2>
<p>${processor.state}${processor.error ? `: ${processor.error}` : ""} (${processor.url})</p>
${lastBatch ? json(lastBatch) : ""}`;
    return reply.type("text/html").send(page(request, "Outbox", body));
  });

  app.post("/outbox/:id/reset", { config: { action: { permission: "ops:write", name: "outbox_reset" } } }, async (request, reply) => {
    const id = positiveId((request.params as { id: string }).id, "event id");
    const reset = await retryOutboxEvent(ctx.pool, id);
    if (!reset) {
      const state = await outboxEventState(ctx.pool, id);
      if (!state) throw new ConsoleError(404, "not_found", `No outbox event ${id}`);
      if (state.processed_by === DEAD_LETTER_PROCESSOR) throw new ConsoleError(409, "dead_lettered", `Outbox event ${id} was dead-lettered: replay it from /dead-letters/outbox:${id}`);
      throw new ConsoleError(409, "already_delivered", `Outbox event ${id} was already delivered`);
    }
    const text = `Outbox event ${id} (${reset.event_type}) is due now with retry_count 0${reset.claimed_by ? ` (a delivery by ${reset.claimed_by} is in flight)` : ""}.`;
    return reply.type("text/html").send(page(request, "Outbox reset", html`<p id="action-result" class="ok">${text}</p><p><a href="/outbox">Back to the outbox</a></p>`));
  });

  app.post("/outbox/reset-stuck", { config: { action: { permission: "ops:write", name: "outbox_reset_stuck" } } }, async (request, reply) => {
    const count = await resetStuckOutboxEvents(ctx.pool, ctx.config.OUTBOX_MAX_RETRIES);
    return reply
      .type("text/html")
      .send(page(request, "Outbox reset", html`<p id="action-result" class="ok">Reset ${count} stuck event(s) (retry_count ≥ ${ctx.config.OUTBOX_MAX_RETRIES}): due now.</p><p><a href="/outbox">Back to the outbox</a></p>`));
  });
}
