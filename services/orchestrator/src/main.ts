// m10-orchestrator: the maintenance tasks, once (the systemd timer's oneshot) or --every <duration>.
import {
  createLogger,
  createMetrics,
  createPool,
  createRedisClient,
  createShutdown,
  DependencyState,
  holderId,
  loadConfigOrExit,
  orchestratorConfigSchema,
  startHealthServer,
  streamKeys,
  waitUntilReady,
  watchRedis,
} from "@m10/shared";
import { parseCli } from "./cli.js";
import { runEvery, type LoopState } from "./loop.js";
import { createOutboxTask } from "@m10/maintenance";
import { formatReport } from "./report-text.js";
import { runOnce, type RunReport } from "./run.js";
import { lockObserver, recordTaskMetrics } from "./task-metrics.js";
import { recordTaskRuns } from "./task-runs.js";
import { taskBodies } from "./tasks.js";

const options = parseCli(process.argv);
const config = loadConfigOrExit(orchestratorConfigSchema, "m10-orchestrator");
const logger = createLogger("orchestrator", options.debug ? "debug" : config.LOG_LEVEL);
const { registry, metrics } = createMetrics("orchestrator");
const shutdown = createShutdown(logger, config.M10_SHUTDOWN_TIMEOUT_MS);
const holder = `orchestrator:${holderId(config.HOSTNAME)}`;

const pool = createPool(config, logger, "m10-orchestrator");
shutdown.onStop("postgres", () => pool.end());
const redis = createRedisClient(config.REDIS_URL, { connectionName: "m10-orchestrator" });
watchRedis(redis, new DependencyState("redis", logger), logger);
shutdown.onStop("redis", async () => void (await redis.quit().catch(() => redis.disconnect())));
if (!(await waitUntilReady(redis, 3_000))) logger.warn({ waitedMs: 3_000 }, "redis.not_connected_at_start");

const outbox = createOutboxTask({ pool, redis, config, logger, metrics, processorId: holder });
shutdown.onStop("outbox-engine", () => outbox.close());
const bodies = taskBodies({ pool, redis, keys: streamKeys(config), config, logger, outbox });

const cycle = async (): Promise<RunReport> => {
  const report = await runOnce({
    tasks: options.tasks,
    dryRun: options.dryRun,
    timeoutSeconds: options.timeoutSeconds ?? config.M10_ORCHESTRATOR_TIMEOUT,
    ttlMarginSeconds: config.M10_LOCK_TTL_MARGIN_SECONDS,
    holder,
    db: pool,
    logger,
    bodies,
    observer: lockObserver(metrics),
    signal: shutdown.signal,
  });
  for (const task of report.tasks) recordTaskMetrics(metrics, task);
  // In the database too: the metrics collector exports it, so timer mode has the series as well.
  if (!options.dryRun) {
    await recordTaskRuns(pool, holder, report.tasks).catch((error: unknown) => logger.warn({ err: error }, "orchestrator.task_runs_not_recorded"));
  }
  process.stdout.write(`${options.json ? JSON.stringify(report) : formatReport(report)}\n`);
  logger.info({ allSuccess: report.all_success, failed: report.tasks_failed, skipped: report.tasks_skipped }, "orchestrator.run_finished");
  return report;
};

if (options.everyMs === undefined) {
  const report = await cycle();
  shutdown.requestStop("run finished");
  const code = await shutdown.untilStopped();
  process.exitCode = report.all_success ? code : 1;
} else {
  const everyMs = options.everyMs;
  const state: LoopState = { lastReport: undefined, nextRunAt: undefined, runs: 0 };
  const health = await startHealthServer({
    service: "orchestrator",
    host: config.M10_HEALTH_HOST,
    port: config.M10_HEALTH_PORT,
    http: config,
    registry,
    logger,
    ready: async () => ({ status: state.lastReport && !state.lastReport.all_success ? "degraded" : "ok", checks: { last_run_success: state.lastReport?.all_success ?? null } }),
    detailed: async () => ({ holder, every_seconds: everyMs / 1000, runs: state.runs, next_run_at: state.nextRunAt?.toISOString() ?? null, last_run: state.lastReport ?? null }),
  });
  shutdown.onStop("health-server", () => health.close());
  logger.info({ url: health.url, everyMs, tasks: options.tasks }, "service.started");
  const loop = runEvery(everyMs, shutdown.signal, cycle, state).catch((error: unknown) => {
    logger.error({ err: error }, "orchestrator.loop_failed");
    process.exitCode = 1;
    shutdown.requestStop("maintenance loop failed");
  });
  shutdown.onStop("maintenance-loop", () => loop);
  const code = await shutdown.untilStopped();
  process.exitCode = process.exitCode === 1 ? 1 : code;
}
