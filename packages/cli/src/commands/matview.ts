import { matviewFreshness, matviewRowCount, recentRefreshes, TRACKED_MATVIEWS } from "@m10/shared";
import { refreshStaleMatviews } from "@m10/maintenance";
import type { Command } from "commander";
import { context } from "../context.js";
import { runLockedTask, taskExitCode, taskHeadline } from "../locked-task.js";
import type { Output } from "../output.js";
import { table } from "../table.js";

export function registerMatview(program: Command, output: () => Output): void {
  const matview = program
    .command("matview")
    .description("materialized view freshness and refresh (m10_recovery.mv_top_pending)")
    .addHelpText(
      "after",
      `
Examples:
  m10ctl matview status                 # SELECT * FROM m10_recovery.matview_freshness + recent refreshes
  m10ctl matview refresh                # refresh_mv_tracked('mv_top_pending') now, under lock m10:matview:mv_top_pending
  m10ctl matview refresh --if-stale     # only when older than M10_MATVIEW_MAX_AGE_SECONDS (the orchestrator's rule)`,
    );

  matview
    .command("status")
    .description("age, last result and row count of every tracked view, and the latest refresh attempts")
    .option("--limit <n>", "refresh log rows to show", (v) => Number(v), 10)
    .action(async (options: { limit: number }) => {
      const db = context().db();
      const views = await Promise.all(
        (await matviewFreshness(db)).map(async (row) => ({ ...row, rows: await matviewRowCount(db, row.view_name as (typeof TRACKED_MATVIEWS)[number]) })),
      );
      const stale = context().config.M10_MATVIEW_MAX_AGE_SECONDS;
      const refreshes = await recentRefreshes(db, options.limit);
      output().result({ max_age_seconds: stale, views, refreshes }, () =>
        [
          table(
            ["view", "last_refresh", "age_seconds", "last_success", "last_duration_ms", "rows"],
            views.map((v) => [v.view_name, v.last_refresh, v.age_seconds === null ? null : Math.round(v.age_seconds), v.last_success, v.last_duration_ms, v.rows]),
          ),
          "recent refreshes:",
          table(
            ["id", "view", "started_at", "duration_ms", "success", "error"],
            refreshes.map((r) => [r.id, r.view_name, r.started_at, r.duration_ms, r.success, r.error_message]),
          ),
        ].join("\n"),
      );
    });

  matview
    .command("refresh")
    .description("REFRESH MATERIALIZED VIEW CONCURRENTLY through refresh_mv_tracked (logged in matview_refresh_log)")
    .option("--if-stale", "only views older than M10_MATVIEW_MAX_AGE_SECONDS", false)
    .option("--timeout <seconds>", "give up after this long (default M10_ORCHESTRATOR_TIMEOUT)", (v) => Number(v))
    .action(async (options: { ifStale: boolean; timeout?: number }) => {
      const ctx = context();
      const result = await runLockedTask(ctx, "matview_refresh", { dryRun: false, timeoutSeconds: options.timeout }, (signal) =>
        refreshStaleMatviews({ db: ctx.db(), logger: ctx.logger }, { dryRun: false, signal, maxAgeSeconds: ctx.config.M10_MATVIEW_MAX_AGE_SECONDS, force: !options.ifStale }),
      );
      output().result(
        result,
        () => {
          const views = (result.details.views ?? {}) as Record<string, { action: string; duration_ms: number | null; error: string | null }>;
          return [taskHeadline(result), table(["view", "action", "duration_ms", "error"], Object.entries(views).map(([v, o]) => [v, o.action, o.duration_ms, o.error]))].join("\n");
        },
        taskExitCode(result),
      );
    });
}
