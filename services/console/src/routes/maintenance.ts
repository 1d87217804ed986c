// Locks and maintenance: distributed_locks with holder and expiry, the orchestrator's last run per
// task (from its /health/detailed), the retention jobs' last runs, and "run now" for one task
// through the same lock and timeout as the orchestrator (runMaintenanceTask: held elsewhere = skipped).
import { lockTtlSeconds, runMaintenanceTask, standaloneTaskBodies, type StandaloneTaskName, TASK_LOCKS, type TaskResult } from "@m10/maintenance";
import { listLocks, listRetentionJobs, serviceHealth } from "@m10/shared";
import type { FastifyInstance } from "fastify";
import { field, type FormBody } from "../auth/guard.js";
import type { ConsoleContext } from "../context.js";
import { badRequest } from "../errors.js";
import { html } from "../views/html.js";
import { actionForm, json, page, table } from "../views/layout.js";

const RUNNABLE: readonly StandaloneTaskName[] = ["dl_reconcile", "matview_refresh", "retention", "reclaim_gc", "pending_sweep"];

interface OrchestratorDetail {
  last_run?: { timestamp?: string; tasks?: TaskResult[] } | null;
  next_run_at?: string | null;
}

export function maintenanceRoutes(app: FastifyInstance, ctx: ConsoleContext): void {
  app.get("/maintenance", async (request, reply) => {
    const [locks, retention, orchestrator] = await Promise.all([
      listLocks(ctx.pool),
      listRetentionJobs(ctx.pool),
      serviceHealth("orchestrator", ctx.config.ORCHESTRATOR_URL, { timeoutMs: ctx.config.M10_HEALTH_TIMEOUT_MS, optional: true }),
    ]);
    const now = Date.now();
    const detail = (orchestrator.body && typeof orchestrator.body === "object" ? orchestrator.body : {}) as OrchestratorDetail;
    const lastTasks = new Map((detail.last_run?.tasks ?? []).map((t) => [t.name, t]));
    const body = html`
<h2>Distributed locks</h2>
${table(
  ["lock", "holder", "acquired", "expires", "state"],
  locks.map((l) => [l.lock_name, l.holder_id, l.acquired_at, l.expires_at, l.expires_at.getTime() <= now ? "expired" : "held"]),
  "No locks held.",
)}
<h2>Tasks</h2>
<p class="muted">Last run from the orchestrator's /health/detailed (${orchestrator.state === "unreachable" ? "not running: it runs from a timer, or is not started" : orchestrator.state}${detail.last_run?.timestamp ? `, run at ${detail.last_run.timestamp}` : ""}${detail.next_run_at ? `, next at ${detail.next_run_at}` : ""}).</p>
${table(
  ["task", "lock", "last run", "duration (s)", "details", ""],
  RUNNABLE.map((task) => {
    const last = lastTasks.get(task);
    return [
      task,
      TASK_LOCKS[task],
      last ? (last.skipped ? `skipped: ${last.skip_reason ?? ""}` : last.success ? "success" : `failed: ${last.error ?? ""}`) : null,
      last?.duration_seconds,
      last ? json(last.details) : null,
      actionForm(request, { action: "/maintenance/run", label: "Run now", confirm: `run ${task} now`, permission: "ops:write", fields: { task } }),
    ];
  }),
)}
<p class="muted">outbox_process is the outbox processor's (and the orchestrator's) job: it needs the delivery targets.</p>
<h2>Retention jobs</h2>
${table(["job", "retention (days)", "last run", "archived", "deleted"], retention.map((r) => [r.name, r.retention_days, r.last_run, r.rows_archived, r.rows_deleted]), "No retention jobs.")}`;
    return reply.type("text/html").send(page(request, "Locks & maintenance", body));
  });

  app.post("/maintenance/run", { config: { action: { permission: "ops:write", name: "run_task" } } }, async (request, reply) => {
    const task = RUNNABLE.find((t) => t === field(request.body as FormBody, "task"));
    if (!task) throw badRequest("invalid_task", `task is one of ${RUNNABLE.join(", ")}`);
    const bodies = standaloneTaskBodies({ pool: ctx.pool, redis: ctx.redisClient, keys: ctx.keys, settings: ctx.config, logger: ctx.logger });
    const timeoutSeconds = ctx.config.M10_ORCHESTRATOR_TIMEOUT;
    const result = await runMaintenanceTask(
      {
        name: task,
        lockName: TASK_LOCKS[task],
        holder: ctx.holder,
        timeoutSeconds,
        ttlSeconds: lockTtlSeconds(timeoutSeconds, ctx.config.M10_LOCK_TTL_MARGIN_SECONDS),
        dryRun: false,
        db: ctx.pool,
        logger: ctx.logger,
      },
      (signal) => bodies[task]({ dryRun: false, signal }),
    );
    const headline = result.skipped ? `skipped: ${result.skip_reason ?? "lock held elsewhere"}` : result.success ? `done in ${result.duration_seconds} s` : `FAILED: ${result.error ?? "unknown error"}`;
    return reply.type("text/html").send(page(request, `Run ${task}`, html`<p id="action-result" class="${result.success ? "ok" : "warning"}">${task}: ${headline}</p>${json(result.details)}<p><a href="/maintenance">Back</a></p>`));
  });
}
