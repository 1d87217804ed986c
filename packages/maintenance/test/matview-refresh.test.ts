// matview_refresh against matview_refresh_log: what counts as stale, and what a refresh leaves behind.
import { describe, expect, it } from "vitest";
import { refreshStaleMatviews } from "../src/matview-refresh.js";
import { count, insertCandidate, realRun, useMaintenanceEnvironment } from "./support/environment.js";

const environment = useMaintenanceEnvironment();

function refresh() {
  const { db, logger } = environment;
  return refreshStaleMatviews({ db, logger }, { ...realRun(), maxAgeSeconds: environment.config().M10_MATVIEW_MAX_AGE_SECONDS });
}

describe("matview_refresh", () => {
  it("refreshes a stale mv_top_pending with refresh_mv_tracked, logs it, and leaves a fresh one alone", async () => {
    const { db } = environment;
    const candidate = await insertCandidate(db);
    expect(await count(db, "m10_recovery.mv_top_pending WHERE candidate_id = $1", [candidate])).toBe(0);

    expect(await refresh()).toMatchObject({ refreshed_count: 1, views: { mv_top_pending: { action: "refreshed", age_seconds: null } } });
    expect(await count(db, "m10_recovery.mv_top_pending WHERE candidate_id = $1", [candidate])).toBe(1);
    expect(await count(db, "m10_recovery.matview_refresh_log WHERE view_name = 'mv_top_pending' AND success")).toBe(1);

    expect(await refresh()).toMatchObject({ refreshed_count: 0, views: { mv_top_pending: { action: "fresh" } } });
    expect(await count(db, "m10_recovery.matview_refresh_log")).toBe(1);

    // Ten minutes later it is stale again.
    await db.query("UPDATE m10_recovery.matview_refresh_log SET started_at = started_at - interval '10 minutes', completed_at = completed_at - interval '10 minutes'");
    const third = await refresh();
    expect(third.views.mv_top_pending?.action).toBe("refreshed");
    expect(third.views.mv_top_pending?.age_seconds).toBeGreaterThan(600);
    expect(await count(db, "m10_recovery.matview_refresh_log WHERE success")).toBe(2);
  });
});
