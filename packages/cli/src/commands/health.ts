import { healthCheckCounts, M10_SERVICES, serviceHealth } from "@m10/shared";
import type { Command } from "commander";
import { context } from "../context.js";
import { EXIT_FAILED, type Output } from "../output.js";
import { keyValues, table } from "../table.js";

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
        M10_SERVICES.filter(([name]) => !skip.has(name)).map(([name, variable]) =>
          serviceHealth(name, ctx.config[variable], { timeoutMs: ctx.config.M10_HEALTH_TIMEOUT_MS, token: ctx.config.M10_ADMIN_TOKEN, optional: optional.has(name) }),
        ),
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
