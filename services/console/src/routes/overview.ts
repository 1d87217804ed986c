// The overview: the pipeline as one picture. The page renders the numbers; console.js refreshes
// them from /overview.json every few seconds (without JavaScript the page is simply a snapshot).
import type { FastifyInstance } from "fastify";
import type { ConsoleContext } from "../context.js";
import { readOverview } from "../reads/overview.js";
import { html } from "../views/html.js";
import { page, stat } from "../views/layout.js";

export function overviewRoutes(app: FastifyInstance, ctx: ConsoleContext): void {
  app.get("/overview.json", async (_request, reply) => reply.header("cache-control", "no-store").send(await readOverview(ctx)));

  app.get("/", async (request, reply) => {
    const o = await readOverview(ctx);
    const body = html`
<p class="muted" id="live-status">Updated <time data-metric="checked_at">${o.checked_at}</time>; refreshes every 5 s with JavaScript on.</p>
${o.redis_error ? html`<p class="warning">Redis does not answer (${o.redis_error}): stream numbers unavailable; ingest falls back to the DB queue.</p>` : ""}
<section class="flow">
<h2>Ingest</h2>
<div class="stats">
${stat("ingested_per_second", "failures ingested / s", o.ingested_per_second, "/candidates", "last minute")}
${stat("candidates_unevaluated", "not yet evaluated", o.candidates_unevaluated, "/candidates?decision=pending")}
</div>
<h2>Queue</h2>
<div class="stats">
${stat("stream_length", "stream entries", o.stream_length, "/services", ctx.keys.stream)}
${stat("stream_pending", "delivered, unacknowledged", o.stream_pending, "/services")}
${stat("stream_lag", "consumer lag", o.stream_lag, "/services", "never delivered")}
${stat("stream_consumers", "consumers", o.stream_consumers, "/services")}
${stat("db_queue_depth", "DB fallback queue", o.db_queue_depth, "/services", "work_queue")}
${stat("db_queue_stalled", "DB queue stalled", o.db_queue_stalled, "/services")}
</div>
<h2>Evaluation</h2>
<div class="stats">
${stat("evaluated_per_second", "evaluations / s", o.evaluated_per_second, "/candidates", "last minute")}
${stat("candidates_pending", "awaiting review", o.candidates_pending, "/candidates?decision=pending")}
</div>
<h2>Outbox</h2>
<div class="stats">
${stat("outbox_pending", "outbox backlog", o.outbox_pending, "/outbox?state=pending")}
${stat("outbox_lag_seconds", "outbox lag (s)", o.outbox_lag_seconds, "/outbox?state=pending", "oldest pending")}
</div>
<h2>Dead letters</h2>
<div class="stats">
${stat("dead_letter_stream", "in the dead-letter stream", o.dead_letter_stream, "/dead-letters?source=stream", ctx.keys.deadLetter)}
${stat("dead_letter_archive", "archived", o.dead_letter_archive, "/dead-letters?source=archive", "dead_letter_archive")}
</div>
</section>`;
    return reply.type("text/html").send(page(request, "Overview", body));
  });
}
