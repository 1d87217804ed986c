// /services: every service's /health/detailed in one table (/health is the console's own probe) (what m10ctl health prints), with the body
// folded under each row, and the handbook's database health query.
import { errorMessage, healthCheckCounts, M10_SERVICES, serviceHealth } from "@m10/shared";
import type { FastifyInstance } from "fastify";
import type { ConsoleContext } from "../context.js";
import { html } from "../views/html.js";
import { details, page, table } from "../views/layout.js";

export function healthPageRoutes(app: FastifyInstance, ctx: ConsoleContext): void {
  app.get("/services", async (request, reply) => {
    const [services, database] = await Promise.all([
      Promise.all(
        M10_SERVICES.map(([name, variable]) =>
          serviceHealth(name, ctx.config[variable], { timeoutMs: ctx.config.M10_HEALTH_TIMEOUT_MS, token: ctx.config.M10_ADMIN_TOKEN, optional: name === "orchestrator" }),
        ),
      ),
      healthCheckCounts(ctx.pool).then(
        (counts) => ({ ok: true, ...counts }) as Record<string, unknown>,
        (error: unknown) => ({ ok: false, error: errorMessage(error) }),
      ),
    ]);
    const body = html`
${table(
  ["service", "state", "HTTP", "endpoint", "detail"],
  services.map((s) => [
    s.service,
    html`<span class="state state-${s.state}">${s.state === "unreachable" && s.optional ? "not running (optional)" : s.state}</span>`,
    s.http_status,
    `${s.url}${s.endpoint ?? ""}`,
    s.error ?? html`<details><summary>body</summary><pre class="json">${JSON.stringify(s.body, null, 2)}</pre></details>`,
  ]),
)}
<h2>Database</h2>
${details(database)}`;
    return reply.type("text/html").send(page(request, "Health", body));
  });
}
