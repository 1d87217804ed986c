import { Command } from "commander";
import { formatEnvDocs, nonNegativeSeconds, outboxProcessorConfigSchema, positiveInt, versionText } from "@m10/shared";

export interface CliOptions {
  once: boolean;
  batchSize?: number;
  concurrency?: number;
  maxInFlight?: number;
  pollInterval?: number;
  debug: boolean;
}

const EXAMPLES = `
Examples:
  m10-outbox-processor                          # run continuously (systemd: m10-outbox-processor.service)
  m10-outbox-processor --debug                  # continuous, debug logs
  m10-outbox-processor --once --batch-size 50   # deliver one batch and exit (non-zero if a delivery failed)
  m10-outbox-processor --concurrency 20 --poll-interval 1

Routing: OUTBOX_ROUTES_FILE or OUTBOX_ROUTES_JSON (see README); by default every event is
published to NATS JetStream as m10.events.<event_type>.

Environment:
${formatEnvDocs(outboxProcessorConfigSchema)}
`;

/** The processor's flags (the runbooks' --once --batch-size --debug, plus --concurrency, --max-in-flight and --poll-interval). */
export function parseCli(argv: string[]): CliOptions {
  const program = new Command("m10-outbox-processor")
    .version(versionText("m10-outbox-processor"), "-V, --version", "print the version, source revision and Node version, and exit")
    .description("Delivers m10_recovery.outbox events to webhooks, Slack, email and NATS with leases, throttles, backoff and dead letters.")
    .option("--once", "claim and deliver one batch, then exit (exit 1 if any delivery failed)", false)
    .option("--batch-size <n>", "events claimed per batch (default OUTBOX_BATCH_SIZE)", positiveInt)
    .option("--concurrency <n>", "deliveries in flight at once per batch (default OUTBOX_CONCURRENCY)", positiveInt)
    .option("--max-in-flight <n>", "claimed events not yet finished; ceil(n / batch size) batches at once (default OUTBOX_MAX_IN_FLIGHT)", positiveInt)
    .option("--poll-interval <seconds>", "longest wait for an outbox notification after an empty claim (default OUTBOX_POLL_INTERVAL)", nonNegativeSeconds)
    .option("--debug", "debug logging (overrides LOG_LEVEL)", false)
    .addHelpText("after", EXAMPLES)
    .showHelpAfterError();
  program.parse(argv);
  return program.opts<CliOptions>();
}
