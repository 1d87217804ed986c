/**
 * The PostgreSQL side of the collection: one read of every DB gauge (the SQL lives in @m10/shared,
 * packages/shared/src/db/gauges.ts, so operator tools can show the same numbers).
 */
import {
  type ActiveLock,
  type BacklogGauges,
  type MaintenanceTaskRuns,
  type MatviewSuccessAge,
  type Queryable,
  readActiveLocks,
  readBacklogGauges,
  readMaintenanceTaskRuns,
  readMatviewFreshness,
} from "@m10/shared";

/** At most this many lock series are exported; M10 has a handful of lock names. */
export const MAX_LOCK_SERIES = 1_000;

export interface DatabaseGauges {
  backlog: BacklogGauges;
  matviews: MatviewSuccessAge[];
  locks: ActiveLock[];
  tasks: MaintenanceTaskRuns[];
}

export async function readDatabaseGauges(db: Queryable): Promise<DatabaseGauges> {
  // Sequential on purpose: four small statements on one or two pooled connections.
  const backlog = await readBacklogGauges(db);
  const matviews = await readMatviewFreshness(db);
  const locks = await readActiveLocks(db, MAX_LOCK_SERIES);
  const tasks = await readMaintenanceTaskRuns(db);
  return { backlog, matviews, locks, tasks };
}
