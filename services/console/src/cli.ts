/** Command-line flags of m10-console. */
import { Command } from "commander";
import { consoleConfigSchema, formatEnvDocs, port, versionText } from "@m10/shared";

export interface ConsoleCli {
  /** Address to bind; overrides HOST (default 127.0.0.1). */
  host: string | undefined;
  port: number | undefined;
  debug: boolean;
}

export function parseCli(argv: readonly string[]): ConsoleCli {
  const program = new Command("m10-console")
    .description(
      "The operator console: overview, dead letters, outbox, candidates, locks and maintenance, and every service's health, " +
        "as server-rendered pages on http://127.0.0.1:9104 (log in with an M10 token). Replay, resolve, reset, run-now and " +
        "review decisions need an admin or operator token, a confirmation, and are written to system.rbac_audit.",
    )
    .version(versionText("m10-console"), "-V, --version", "print the version, source revision and Node version, and exit")
    .option("--host <address>", "address to bind (default HOST, 127.0.0.1: loopback only; 0.0.0.0 exposes it, put TLS in front)")
    .option("--port <port>", "port (default PORT, 9104)", port)
    .option("--debug", "debug logging: one line per request", false)
    .addHelpText(
      "after",
      [
        "",
        "Examples:",
        "  m10-console                                   # http://127.0.0.1:9104, log in with M10_ADMIN_TOKEN",
        "  m10-console --host 0.0.0.0 --port 9104        # behind a TLS proxy: also M10_TRUST_PROXY=true",
        "  curl -s localhost:9104/health/detailed | jq .",
        "",
        "Environment:",
        formatEnvDocs(consoleConfigSchema),
        "",
      ].join("\n"),
    )
    .showHelpAfterError()
    .parse([...argv]);
  const options = program.opts<{ host?: string; port?: number; debug: boolean }>();
  return { host: options.host, port: options.port, debug: options.debug };
}
