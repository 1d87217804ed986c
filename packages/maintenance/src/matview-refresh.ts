// matview_refresh: refresh_mv_tracked (REFRESH ... CONCURRENTLY, logged in matview_refresh_log)
// for every tracked view whose last refresh is older than the maximum age, or never happened.
import type { Logger } from "pino";
import { matviewFreshness, type Queryable, refreshTracked, TRACKED_MATVIEWS, type TrackedMatview } from "@m10/shared";
import { MaintenanceTaskError } from "./task-run.js";

export type MatviewAction = "refreshed" | "fresh" | "failed" | "would_refresh" | "interrupted";

export interface MatviewOutcome {
  age_seconds: number | null;
  action: MatviewAction;
  duration_ms: number | null;
  error: string | null;
}

export type MatviewRefreshDetails = {
  max_age_seconds: number;
  views: Record<string, MatviewOutcome>;
  refreshed_count: number;
};

export interface MatviewRefreshOptions {
  dryRun: boolean;
  signal: AbortSignal;
  maxAgeSeconds: number;
  /** Refresh whatever the age (m10ctl matview refresh). */
  force?: boolean;
  views?: readonly TrackedMatview[];
}

export async function refreshStaleMatviews(deps: { db: Queryable; logger: Logger }, options: MatviewRefreshOptions): Promise<MatviewRefreshDetails> {
  const wanted = options.views ?? TRACKED_MATVIEWS;
  const freshness = new Map((await matviewFreshness(deps.db)).map((row) => [row.view_name, row]));
  const details: MatviewRefreshDetails = { max_age_seconds: options.maxAgeSeconds, views: {}, refreshed_count: 0 };
  const failures: string[] = [];
  for (const view of wanted) {
    const age = freshness.get(view)?.age_seconds ?? null;
    const ageSeconds = age === null ? null : Math.round(age * 1000) / 1000;
    const stale = options.force === true || ageSeconds === null || ageSeconds > options.maxAgeSeconds;
    if (!stale) {
      details.views[view] = { age_seconds: ageSeconds, action: "fresh", duration_ms: null, error: null };
      continue;
    }
    if (options.dryRun) {
      details.views[view] = { age_seconds: ageSeconds, action: "would_refresh", duration_ms: null, error: null };
      continue;
    }
    if (options.signal.aborted) {
      details.views[view] = { age_seconds: ageSeconds, action: "interrupted", duration_ms: null, error: null };
      continue;
    }
    const refresh = await refreshTracked(deps.db, view);
    if (refresh.success) {
      details.refreshed_count += 1;
      details.views[view] = { age_seconds: ageSeconds, action: "refreshed", duration_ms: refresh.duration_ms, error: null };
      deps.logger.info({ view, durationMs: refresh.duration_ms, previousAgeSeconds: ageSeconds }, "matview.refreshed");
    } else {
      failures.push(`${view}: ${refresh.error ?? "refresh failed"}`);
      details.views[view] = { age_seconds: ageSeconds, action: "failed", duration_ms: refresh.duration_ms, error: refresh.error };
      deps.logger.error({ view, error: refresh.error }, "matview.refresh_failed");
    }
  }
  if (failures.length > 0) throw new MaintenanceTaskError(`matview refresh failed: ${failures.join("; ")}`, details);
  return details;
}
