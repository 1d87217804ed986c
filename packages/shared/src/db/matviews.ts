import type { Queryable } from "./pool.js";

// Materialized views and their refresh log (021): matview_freshness, refresh_mv_tracked.

/** The views refresh_mv_tracked knows how to refresh. */
export const TRACKED_MATVIEWS = ["mv_top_pending"] as const;

export type TrackedMatview = (typeof TRACKED_MATVIEWS)[number];

export interface MatviewFreshness {
  view_name: string;
  /** Last completed refresh attempt (successful or not); null when never refreshed. */
  last_refresh: Date | null;
  age_seconds: number | null;
  last_success: boolean | null;
  last_duration_ms: number | null;
}

export interface RefreshResult {
  success: boolean;
  duration_ms: number;
  error: string | null;
}

export interface RefreshLogRow {
  id: number;
  view_name: string;
  started_at: Date;
  completed_at: Date | null;
  duration_ms: number | null;
  success: boolean | null;
  error_message: string | null;
}

/** Freshness of every tracked view, including views never refreshed (all fields null). */
export async function matviewFreshness(db: Queryable): Promise<MatviewFreshness[]> {
  const result = await db.query<MatviewFreshness>(
    `SELECT v.view_name, f.last_refresh, f.age_seconds::float8 AS age_seconds, f.last_success, f.last_duration_ms
       FROM unnest($1::text[]) AS v(view_name)
       LEFT JOIN m10_recovery.matview_freshness f ON f.view_name = v.view_name
      ORDER BY v.view_name`,
    [TRACKED_MATVIEWS],
  );
  return result.rows;
}

/** REFRESH MATERIALIZED VIEW CONCURRENTLY through refresh_mv_tracked, which logs the attempt. */
export async function refreshTracked(db: Queryable, view: TrackedMatview): Promise<RefreshResult> {
  const result = await db.query<RefreshResult>("SELECT success, duration_ms, error FROM m10_recovery.refresh_mv_tracked($1)", [view]);
  const row = result.rows[0];
  return { success: row?.success === true, duration_ms: row?.duration_ms ?? 0, error: row?.error ?? null };
}

export async function recentRefreshes(db: Queryable, limit = 10): Promise<RefreshLogRow[]> {
  const result = await db.query<RefreshLogRow>(
    `SELECT id, view_name, started_at, completed_at, duration_ms, success, error_message
       FROM m10_recovery.matview_refresh_log
      ORDER BY started_at DESC, id DESC
      LIMIT $1`,
    [limit],
  );
  return result.rows;
}

/** Rows in a tracked view right now. */
export async function matviewRowCount(db: Queryable, view: TrackedMatview): Promise<number> {
  const result = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM m10_recovery.${view}`);
  return result.rows[0]?.n ?? 0;
}
