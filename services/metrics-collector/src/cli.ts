/** Command-line flags of m10-metrics-collector. */
import { Command } from "commander";
import { formatEnvDocs, metricsCollectorConfigSchema, positiveInt, versionText } from "@m10/shared";

export interface CollectorCli {
  /** One collection, printed as JSON on stdout, then exit (non-zero when a source failed). */
  once: boolean;
  /** Seconds between collections; overrides M10_METRICS_INTERVAL. */
  interval: number | undefined;
  /** Log level debug (one line per collection pass). */
  debug: boolean;
}

export function parseCli(argv: readonly string[]): CollectorCli {
  const program = new Command("m10-metrics-collector")
    .version(versionText("m10-metrics-collector"), "-V, --version", "print the version, source revision and Node version, and exit")
    .description(
      "Collects M10's state gauges from PostgreSQL and Redis every M10_METRICS_INTERVAL seconds and serves them " +
        "on /metrics, with /health, /ready and /health/detailed, on M10_HEALTH_PORT (default 9100).",
    )
    .option("--once", "collect once, print the values as one JSON document on stdout and exit (exit 1 if a source failed)", false)
    .option("--interval <seconds>", "seconds between collections (default: M10_METRICS_INTERVAL)", positiveInt)
    .option("--debug", "debug logging: one log line per collection pass", false)
    .addHelpText(
      "after",
      [
        "",
        "Examples:",
        "  m10-metrics-collector                      # daemon: collect every 30 s, serve http://0.0.0.0:9100/metrics",
        "  m10-metrics-collector --interval 10 --debug",
        "  m10-metrics-collector --once | jq .redis_stream",
        "  curl -s http://localhost:9100/metrics | grep -E '^(m10_|recovery_)'",
        "",
        "Environment:",
        formatEnvDocs(metricsCollectorConfigSchema),
        "",
      ].join("\n"),
    )
    .showHelpAfterError()
    .parse([...argv]);
  const options = program.opts<{ once: boolean; interval?: number; debug: boolean }>();
  return { once: options.once, interval: options.interval, debug: options.debug };
}
