import { healthCheckCounts } from "@m10/shared";
import type { Command } from "commander";
import { context, type Context } from "../context.js";
import { EXIT_FAILED, type Output } from "../output.js";
import { keyValues, table } from "../table.js";

const SERVICES = [
  ["ingest", "INGEST_URL"],
  ["metrics-collector", "METRICS_COLLECTOR_URL"],
  ["claim-worker", "CLAIM_WORKER_URL"],
  ["outbox-processor", "OUTBOX_PROCESSOR_URL"],
  ["orchestrator", "ORCHESTRATOR_URL"],
] as const;

type ServiceState = "ok" | "degraded" | "down" | "unreachable";

interface ServiceHealth {
  service: string;
  url: string;
  state: ServiceState;
  optional: boolean;
  http_status: number | null;
  endpoint: string | null;
  body: unknown;
  error: string | null;
}

async function fetchJson(url: string, ctx: Context): Promise<{ status: number; body: unknown }> {
  const headers: Record<string, string> = ctx.config.M10_ADMIN_TOKEN ? { authorization: `Bearer ${ctx.config.M10_ADMIN_TOKEN}` } : {};
  const response = await fetch(url, { headers, signal: AbortSignal.timeout(ctx.config.M10_HEALTH_TIMEOUT_MS) });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body };
}

function stateOf(status: number, body: unknown): ServiceState {
  const reported = body && typeof body === "object" ? (body as { status?: unknown }).status : undefined;
  if (status === 503 || reported === "down") return "down";
  if (status >= 200 && status < 300) return reported === "degraded" ? "degraded" : "ok";
  return "down";
}

async function serviceHealth(ctx: Context, service: string, base: string, optional: boolean): Promise<ServiceHealth> {
  const url = base.replace(/\/+$/, "");
  const result: ServiceHealth = { service, url, state: "unreachable", optional, http_status: null, endpoint: null, body: null, error: null };
  try {
    let reply = await fetchJson(`${url}/health/detailed`, ctx);
    result.endpoint = "/health/detailed";
    if (reply.status === 404) {
      reply = await fetchJson(`${url}/health`, ctx);
      result.endpoint = "/health";
    }
    result.http_status = reply.status;
    result.body = reply.body;
    result.state = stateOf(reply.status, reply.body);
  } catch (error) {
    result.error = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
  }
  return result;
}

export function registerHealth(program: Command, output: () => Output): void {
  program
    .command("health")
    .description("every service's /health/detailed (INGEST_URL, METRICS_COLLECTOR_URL, CLAIM_WORKER_URL, OUTBOX_PROCESSOR_URL, ORCHESTRATOR_URL) and the handbook's DB health query")
    .option("--skip <services>", "comma-separated services not to check")
    .addHelpText(
      "after",
      `
Exit code 1 when a service is down or unreachable (services in M10_HEALTH_OPTIONAL, by default the
orchestrator, only when down), or the database query fails.

Examples:
  source .m10/stack.env && m10ctl health
  m10ctl health --json
  m10ctl health --skip claim-worker,outbox-processor`,
    )
    .action(async (options: { skip?: string }) => {
      const ctx = context();
      const skip = new Set((options.skip ?? "").split(",").map((s) => s.trim()).filter(Boolean));
      const optional = new Set(ctx.config.M10_HEALTH_OPTIONAL.split(",").map((s) => s.trim()).filter(Boolean));
      const services = await Promise.all(
        SERVICES.filter(([name]) => !skip.has(name)).map(([name, variable]) => serviceHealth(ctx, name, ctx.config[variable], optional.has(name))),
      );
      let database: Record<string, unknown>;
      try {
        database = { ok: true, ...(await healthCheckCounts(ctx.db())) };
      } catch (error) {
        database = { ok: false, error: error instanceof Error ? error.message : String(error) };
      }
      const failing = services.filter((s) => s.state === "down" || (s.state === "unreachable" && !s.optional));
      const healthy = failing.length === 0 && database.ok === true;
      output().result(
        { timestamp: new Date().toISOString(), healthy, services, database },
        () =>
          [
            table(
              ["service", "state", "http", "url", "error"],
              services.map((s) => [s.service, s.state === "unreachable" && s.optional ? "not running (optional)" : s.state, s.http_status, `${s.url}${s.endpoint ?? ""}`, s.error]),
            ),
            "database:",
            keyValues(database as Record<string, string | number | boolean>),
            healthy ? "healthy" : `UNHEALTHY: ${[...failing.map((s) => `${s.service} ${s.state}`), ...(database.ok ? [] : ["database"])].join(", ")}`,
          ].join("\n"),
        healthy ? 0 : EXIT_FAILED,
      );
    });
}
