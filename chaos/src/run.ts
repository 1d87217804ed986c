// make chaos: a real stack under steady ingest load, issue 15's faults one at a time, then the
// invariants once the pipeline has drained. Writes chaos/results/<date>.json; exits 1 on any
// violation (printing which), 2 on bad settings.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { type StreamKeys, streamKeysFromEnv } from "@m10/shared";
import { Redis } from "ioredis";
import pg from "pg";
import { describeConfig, loadConfig, type ChaosConfig } from "./config.js";
import { allFaults, type Fault, type FaultContext } from "./faults.js";
import { candidatesMatchLedger, evaluatedOnce, nothingLeftBehind, outboxAppliedOnce, storedOccurrences, type InvariantCheck } from "./invariants.js";
import { Ledger } from "./ledger.js";
import { startLoad, type LoadGenerator } from "./load.js";
import { backlogOf, backlogPeak, secondsUntilBacklog, startMonitor, type BacklogMonitor } from "./monitor.js";
import { answerViolations, checkViolations, errorsOf, fiveXxOf, formatTable, ingestRecoverySeconds, type ChaosReport, type FaultResult } from "./report.js";
import { startSink } from "./sink.js";
import { MACHINE_TOKEN, startChaosStack, SUITE_TUNING } from "./stack.js";

const HELP = `make chaos (node chaos/dist/run.js): starts PostgreSQL, Redis, NATS, 2 ingest, 2 claim workers,
2 outbox processors and the orchestrator (--every 10s) on free ports, drives steady ingest load, and
injects one fault at a time: kill -9 of each process (restarted), Redis stopped, PostgreSQL
restarted, NATS stopped, the webhook sink answering 500 then 429, PostgreSQL connections
exhausted, a claim worker paused with SIGSTOP past its lease. Then it waits for the pipeline to
drain and checks that nothing accepted was lost or applied twice. Results: chaos/results/<date>.json.
Exit 0 = every invariant held, 1 = a violation (printed), 2 = bad settings.

Environment (defaults are issue 15's):
${describeConfig()}
`;

function log(event: string, fields: Record<string, unknown> = {}): void {
  process.stderr.write(`${JSON.stringify({ at: new Date().toISOString(), event, ...fields })}\n`);
}

/** Waits (at most `timeoutMs`) for the backlog to come down to `atMost`. */
async function waitForBacklog(monitor: BacklogMonitor, atMost: number, timeoutMs: number): Promise<void> {
  const from = Date.now();
  while (Date.now() - from < timeoutMs) {
    const sample = await monitor.read();
    if (sample && backlogOf(sample) <= atMost) return;
    await sleep(1_000);
  }
}

async function currentBacklog(monitor: BacklogMonitor): Promise<number> {
  const sample = await monitor.read();
  const last = sample ?? monitor.samples.at(-1);
  return last ? backlogOf(last) : 0;
}

function backlogSplit(monitor: BacklogMonitor): Record<string, number | undefined> {
  const last = monitor.samples.at(-1);
  return { unevaluated: last?.unevaluated, outbox_pending: last?.outboxPending };
}

interface FaultRun {
  result: FaultResult;
  violations: string[];
  repairedAt: number;
  /** The backlog counts as recovered at or below this. */
  recoveredBelow: number;
}

async function runFault(fault: Fault, context: FaultContext, load: LoadGenerator, monitor: BacklogMonitor): Promise<FaultRun> {
  const { config } = context;
  const before = await currentBacklog(monitor);
  load.phase(fault.name);
  context.sink.phase = fault.name;
  const startedAt = Date.now();
  log("fault.start", { fault: fault.name, backlog: before, ...backlogSplit(monitor) });
  await fault.inject(context);
  const repairedAt = Date.now();
  // Back near the level before the fault: within five seconds' worth of the offered load. The
  // next fault waits for that, or for the timeout; the recovery time is read from the samples at
  // the end, so a backlog that took longer is still measured.
  const recoveredBelow = before + config.CHAOS_RATE * 5;
  await waitForBacklog(monitor, recoveredBelow, config.CHAOS_RECOVERY_TIMEOUT_SECONDS * 1000);
  await sleep(config.CHAOS_SETTLE_SECONDS * 1000);
  const endedAt = Date.now();
  const stats = load.phases.get(fault.name);
  if (!stats) throw new Error(`no statistics for ${fault.name}`);
  const result: FaultResult = {
    fault: fault.name,
    started_at: new Date(startedAt).toISOString(),
    fault_seconds: Math.round((repairedAt - startedAt) / 100) / 10,
    requests_sent: stats.sent,
    accepted: stats.accepted,
    errors_by_status: errorsOf(stats),
    five_xx: fiveXxOf(stats),
    skipped_by_generator: stats.skipped,
    ingest_recovery_seconds: ingestRecoverySeconds(load.seconds, load.startedAt, startedAt, repairedAt, endedAt),
    backlog_recovery_seconds: null,
    backlog_before: before,
    backlog_peak: backlogPeak(monitor.samples, startedAt, endedAt),
    lost_or_miscounted: 0,
    duplicate_deliveries: 0,
  };
  log("fault.end", { ...result, ...backlogSplit(monitor) });
  return { result, violations: answerViolations(fault.name, stats, fault.allows503), repairedAt, recoveredBelow };
}

/** Waits until nothing is left to evaluate, deliver or acknowledge. */
async function drain(db: pg.Pool, redis: Redis, keys: StreamKeys, timeoutMs: number): Promise<boolean> {
  const from = Date.now();
  while (Date.now() - from < timeoutMs) {
    const left = await nothingLeftBehind(db, redis, keys).catch(() => undefined);
    const unevaluated = await evaluatedOnce(db).catch(() => undefined);
    if (left && unevaluated && unevaluated.details.unevaluated === 0) {
      const { outbox_pending, work_queue_open, stream_pending } = left.details as Record<string, number>;
      if (outbox_pending === 0 && work_queue_open === 0 && stream_pending === 0) return true;
    }
    await sleep(2_000);
  }
  return false;
}

async function main(config: ChaosConfig): Promise<number> {
  const began = Date.now();
  const keys = streamKeysFromEnv();
  const sink = await startSink();
  log("stack.starting");
  const stack = await startChaosStack(sink.url);
  const ledger = new Ledger();
  const monitor = startMonitor(stack.databaseUrl);
  const load = startLoad({ rate: config.CHAOS_RATE, maxInFlight: config.CHAOS_MAX_IN_FLIGHT, token: MACHINE_TOKEN, targets: stack.ingestUrls }, ledger);
  const db = new pg.Pool({ connectionString: stack.databaseUrl, max: 2 });
  db.on("error", (error) => log("chaos.idle_connection_error", { error: error.message }));
  const redis = new Redis(stack.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on("error", () => undefined);
  // Ctrl-C or a CI timeout: take the servers and services down with the suite, then exit.
  const interrupt = (signal: NodeJS.Signals) => {
    log("chaos.interrupted", { signal });
    void Promise.allSettled([monitor.stop(), stack.close(), sink.close()]).then(() => process.exit(130));
  };
  process.once("SIGINT", interrupt);
  process.once("SIGTERM", interrupt);
  const faultRuns: FaultRun[] = [];
  const violations: string[] = [];
  let checks: InvariantCheck[] = [];
  try {
    load.phase("warm-up");
    log("load.warm_up", { rate: config.CHAOS_RATE, seconds: config.CHAOS_WARMUP_SECONDS });
    await sleep(config.CHAOS_WARMUP_SECONDS * 1000);
    const wanted = config.CHAOS_FAULTS.split(",").map((name) => name.trim()).filter(Boolean);
    const faults = allFaults(stack).filter((fault) => wanted.length === 0 || wanted.some((name) => fault.name.startsWith(name)));
    const context: FaultContext = { stack, sink, config, log };
    for (const fault of faults) {
      try {
        faultRuns.push(await runFault(fault, context, load, monitor));
      } catch (error) {
        // A fault that could not be put right leaves nothing to measure in the next ones: drain and check what there is.
        violations.push(`${fault.name}: ${error instanceof Error ? error.message : String(error)}`);
        break;
      }
    }

    load.phase("drain");
    sink.phase = "drain";
    await load.stop();
    log("drain.waiting", { timeout_seconds: config.CHAOS_DRAIN_TIMEOUT_SECONDS });
    if (!(await drain(db, redis, keys, config.CHAOS_DRAIN_TIMEOUT_SECONDS * 1000))) violations.push(`the pipeline did not drain within ${config.CHAOS_DRAIN_TIMEOUT_SECONDS} s`);
    const stored = await storedOccurrences(db);
    const mismatches = ledger.compare(stored.counts);
    checks = [
      candidatesMatchLedger(stored, mismatches, ledger),
      await evaluatedOnce(db),
      await outboxAppliedOnce(db, sink),
      await nothingLeftBehind(db, redis, keys),
    ];
    for (const run of faultRuns) {
      run.result.lost_or_miscounted = mismatches.filter((m) => m.phase === run.result.fault).length;
      run.result.duplicate_deliveries = sink.duplicatesByPhase.get(run.result.fault) ?? 0;
      run.result.backlog_recovery_seconds = secondsUntilBacklog(monitor.samples, run.repairedAt, run.recoveredBelow);
      violations.push(...run.violations);
    }
    for (const slot of stack.services) violations.push(...slot.unexpectedExits.map((exit) => `a service crashed: ${exit}`));
    violations.push(...checkViolations(checks));
  } finally {
    await load.stop();
    await monitor.stop();
    redis.disconnect();
    await db.end();
    await stack.close();
    await sink.close();
  }

  const report: ChaosReport = {
    at: new Date().toISOString(),
    passed: violations.length === 0,
    wall_seconds: Math.round((Date.now() - began) / 1000),
    settings: { ...config, service_tuning: SUITE_TUNING },
    faults: faultRuns.map((run) => run.result),
    invariants: checks,
    violations,
  };
  const dir = fileURLToPath(new URL("../results", import.meta.url));
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${report.at.replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`\n${formatTable(report.faults)}\n\n`);
  for (const check of checks) process.stdout.write(`${check.ok ? "PASS" : "FAIL"}  ${check.name}  ${JSON.stringify(check.details)}\n`);
  for (const violation of violations) process.stdout.write(`VIOLATION  ${violation}\n`);
  process.stdout.write(`\n${report.passed ? "PASS" : "FAIL"}: ${faultRuns.length} faults in ${report.wall_seconds} s; results in ${file}\n`);
  return report.passed ? 0 : 1;
}

if (process.argv.includes("--help") || process.argv.includes("-h")) {
  process.stdout.write(HELP);
} else {
  let config: ChaosConfig | undefined;
  try {
    config = loadConfig();
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  }
  if (config) process.exitCode = await main(config);
}
