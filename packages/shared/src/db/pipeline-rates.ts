// Throughput over the last minute, from the rows themselves (no process has to be up to count):
// failures ingested (candidates seen: new or another occurrence) and candidates evaluated.
// Both run on indexes (idx_rc_last_occurrence_at; evaluated_at of recent rows via created_at).
import type { Queryable } from "./pool.js";

export interface PipelineRates {
  /** Candidates whose last occurrence was in the window, per second. */
  ingestedPerSecond: number;
  /** Candidates evaluated in the window, per second. */
  evaluatedPerSecond: number;
  windowSeconds: number;
}

export async function readPipelineRates(db: Queryable, windowSeconds = 60): Promise<PipelineRates> {
  const { rows } = await db.query<{ ingested: number; evaluated: number }>(
    `SELECT (SELECT count(*) FROM public.recovery_candidates WHERE last_occurrence_at > now() - make_interval(secs => $1))::int AS ingested,
            (SELECT count(*) FROM public.recovery_candidates WHERE evaluated_at > now() - make_interval(secs => $1))::int AS evaluated`,
    [windowSeconds],
  );
  const row = rows[0] ?? { ingested: 0, evaluated: 0 };
  return { ingestedPerSecond: row.ingested / windowSeconds, evaluatedPerSecond: row.evaluated / windowSeconds, windowSeconds };
}
