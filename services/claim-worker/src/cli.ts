// m10-claim-worker's flags (the Recovery Operations Runbook's "Worker Operations"). Flags override
// the environment; the environment has the defaults.
import { Command } from "commander";
import { claimWorkerConfigSchema, formatEnvDocs, positiveInt, positiveSeconds, versionText } from "@m10/shared";

export interface CliOptions {
  batchSize?: number;
  /** Seconds. */
  pollInterval?: number;
  concurrency?: number;
  /** undefined = M10_USE_STREAM. */
  useStream?: boolean;
  once: boolean;
  debug: boolean;
}

const EXAMPLES = `
Examples:
  m10-claim-worker                                  consume the stream and the DB queue until SIGTERM
  m10-claim-worker --batch-size 100 --poll-interval 5
  m10-claim-worker --use-stream --concurrency 8     more batches in flight
  m10-claim-worker --no-use-stream                  DB work_queue only (no Redis)
  m10-claim-worker --once                           evaluate what is queued now, then exit (1 if anything failed or was unreachable)
  m10-claim-worker --debug                          LOG_LEVEL=debug

Health and metrics on M10_HEALTH_PORT (default 9101): /health, /ready, /health/detailed, /metrics.
SIGTERM: stop claiming, finish in-flight batches (cancel them at M10_SHUTDOWN_TIMEOUT_MS), release leases, exit 0.

Environment:
`;

export function buildCli(): Command {
  return new Command("m10-claim-worker")
    .version(versionText("m10-claim-worker"), "-V, --version", "print the version, source revision and Node version, and exit")
    .description("Evaluates queued failures into recovery suggestions: Redis stream consumer group + DB fallback queue.")
    .option("--batch-size <n>", "candidates per evaluation batch (RECOVERY_WORKER_BATCH_SIZE)", positiveInt)
    .option("--poll-interval <seconds>", "longest wait of an empty work_queue for a notification (RECOVERY_WORKER_POLL_INTERVAL)", positiveSeconds)
    .option("--concurrency <n>", "evaluation batches in flight (RECOVERY_WORKER_CONCURRENCY)", positiveInt)
    .option("--use-stream", "consume the Redis stream m10:evaluate:stream (M10_USE_STREAM, default on)")
    .option("--no-use-stream", "DB work_queue only")
    .option("--once", "drain what is queued now, then exit", false)
    .option("--debug", "debug logging", false)
    .addHelpText("after", `${EXAMPLES}${formatEnvDocs(claimWorkerConfigSchema)}\n`)
    .showHelpAfterError();
}

/** Parses process.argv (exits with usage on a bad flag, or 0 after --help). */
export function parseCli(argv: readonly string[]): CliOptions {
  const program = buildCli().parse([...argv]);
  return program.opts<CliOptions>();
}
