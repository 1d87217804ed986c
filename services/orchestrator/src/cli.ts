// m10-orchestrator's flags (the runbooks', docs/architecture.md §4.5: --tasks --dry-run --json --timeout --every).
import { formatEnvDocs, orchestratorConfigSchema, positiveSeconds, versionText } from "@m10/shared";
import { parseTaskList, TASK_ALIASES, TASK_NAMES, type TaskName } from "@m10/maintenance";
import { Command, InvalidArgumentError } from "commander";
import { parseDuration } from "./duration.js";

export interface OrchestratorOptions {
  tasks: TaskName[];
  dryRun: boolean;
  json: boolean;
  /** Per-task timeout in seconds; undefined = M10_ORCHESTRATOR_TIMEOUT. */
  timeoutSeconds: number | undefined;
  /** Loop mode: run every N ms and serve /health and /metrics. */
  everyMs: number | undefined;
  debug: boolean;
}

function duration(value: string): number {
  try {
    return parseDuration(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

function taskList(value: string): TaskName[] {
  try {
    return parseTaskList(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

export function buildCli(): Command {
  return new Command("m10-orchestrator")
    .version(versionText("m10-orchestrator"), "-V, --version", "print the version, source revision and Node version, and exit")
    .description("M10 maintenance: dead-letter reconcile, matview refresh, outbox batch, retention, lock/lease GC, pending sweep")
    .option("--tasks <names>", `comma-separated tasks, in the order given (default: all, ${TASK_NAMES.join(",")})`, taskList)
    .option("--dry-run", "report what each task would change; change nothing", false)
    .option("--json", "print one JSON report on stdout (logs stay on stderr)", false)
    .option("--timeout <seconds>", "per-task timeout (default M10_ORCHESTRATOR_TIMEOUT)", positiveSeconds)
    .option("--every <duration>", "keep running: one run every <duration> (e.g. 5m), with /health and /metrics on M10_HEALTH_PORT", duration)
    .option("--debug", "debug logging", false)
    .addHelpText(
      "after",
      `
Tasks (aliases: ${Object.entries(TASK_ALIASES)
        .map(([alias, name]) => `${alias}=${name}`)
        .join(", ")}):
  dl_reconcile     XACK pending stream entries already evaluated or gone; fix entries both dead-lettered
                   and pending; archive-then-trim the dead-letter stream beyond M10_DEAD_LETTER_MAX_LEN
  matview_refresh  refresh_mv_tracked for views older than M10_MATVIEW_MAX_AGE_SECONDS
  outbox_process   deliver one batch of due outbox events
  retention        archive/delete rows past their retention (retention_jobs), in bounded batches
  reclaim_gc       cleanup_expired_locks, release_stalled_work, expired evaluation leases
  pending_sweep    re-enqueue candidates committed but not evaluated after M10_SWEEP_AFTER_SECONDS

Each task runs under its own lock (the same one the equivalent m10ctl command takes) and the whole
run under the leader lock m10:orchestrator: a second orchestrator reports every task skipped, with
the holder. Exit code 1 when any task failed (also with --json), 2 on bad flags or configuration.

Examples:
  m10-orchestrator --json                       # one run (the systemd timer's m10-maintenance.service)
  m10-orchestrator --dry-run --json
  m10-orchestrator --tasks outbox,matview
  m10-orchestrator --tasks retention --timeout 1200
  m10-orchestrator --every 5m                   # loop mode (docker compose, make up)

Environment:
${formatEnvDocs(orchestratorConfigSchema)}`,
    );
}

export function parseCli(argv: string[]): OrchestratorOptions {
  const program = buildCli().exitOverride((error) => {
    process.exit(error.exitCode === 0 ? 0 : 2);
  });
  program.parse(argv);
  const opts = program.opts<{ tasks?: TaskName[]; dryRun: boolean; json: boolean; timeout?: number; every?: number; debug: boolean }>();
  return {
    tasks: opts.tasks ?? [...TASK_NAMES],
    dryRun: opts.dryRun,
    json: opts.json,
    timeoutSeconds: opts.timeout,
    everyMs: opts.every,
    debug: opts.debug,
  };
}
