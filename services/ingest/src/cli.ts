// m10-ingest's command line: flags override the environment; --help lists every variable.
import { Command } from "commander";
import { formatEnvDocs, ingestConfigSchema, port, versionText } from "@m10/shared";

export interface CliOverrides {
  /** Variables set by flags, merged over process.env before the config is parsed. */
  env: Record<string, string>;
}

export function parseCli(argv: readonly string[]): CliOverrides {
  const program = new Command("m10-ingest")
    .version(versionText("m10-ingest"), "-V, --version", "print the version, source revision and Node version, and exit")
    .description("M10's HTTP API: recovery ingest (single and batch), candidates, actions, evaluate, stats, memory pins; RBAC and per-tenant rate limits.")
    .option("--port <port>", "listen on this port (overrides PORT)", port)
    .option("--host <address>", "bind this address (overrides HOST)")
    .addHelpText(
      "after",
      [
        "",
        "Examples:",
        "  DATABASE_URL=postgres://nova@localhost:5433/nova_aos m10-ingest",
        "  source .m10/stack.env && m10-ingest --port 8010",
        "  curl -X POST http://localhost:8000/api/v1/recovery/ingest -H \"Authorization: Bearer $M10_MACHINE_TOKEN\" \\",
        "       -H 'Content-Type: application/json' -d '{\"failure_match_id\":\"'$(uuidgen)'\",\"failure_payload\":{\"error_type\":\"TIMEOUT\"}}'",
        "",
        "Endpoints: /api/v1/recovery/*, /api/v1/memory/pins, /health, /ready, /health/detailed, /metrics, /docs (OpenAPI at /docs/json).",
        "",
        "Environment variables:",
        formatEnvDocs(ingestConfigSchema),
        "",
      ].join("\n"),
    );
  program.parse([...argv]);
  const options = program.opts<{ port?: number; host?: string }>();
  return {
    env: {
      ...(options.port === undefined ? {} : { PORT: String(options.port) }),
      ...(options.host === undefined ? {} : { HOST: options.host }),
    },
  };
}
