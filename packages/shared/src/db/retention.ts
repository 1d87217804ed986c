import type { Queryable } from "./pool.js";

// Retention of m10_recovery's growing tables: archive-then-delete for provenance and inputs
// (retention_jobs rows), plain deletes for replay_log, the three archive tables and processed
// outbox / work_queue rows. Every statement handles one bounded batch, walking ids upwards
// (keyset), so a run never holds long locks and never rescans what it already passed.

export interface RetentionJobRow {
  name: string;
  retention_days: number | null;
  last_run: Date | null;
  rows_archived: number | null;
  rows_deleted: number | null;
}

/** Seeded jobs that move rows into an *_archive table. */
export const ARCHIVE_JOBS = {
  provenance_archive: {
    source: "m10_recovery.suggestion_provenance",
    archive: "m10_recovery.suggestion_provenance_archive",
    columns: [
      "id",
      "suggestion_id",
      "event_type",
      "details",
      "rule_id",
      "action_id",
      "confidence_before",
      "confidence_after",
      "actor",
      "actor_type",
      "created_at",
      "duration_ms",
    ],
  },
  inputs_archive: {
    source: "m10_recovery.suggestion_input",
    archive: "m10_recovery.suggestion_input_archive",
    columns: [
      "id",
      "suggestion_id",
      "input_type",
      "raw_value",
      "normalized_value",
      "parsed_data",
      "confidence",
      "weight",
      "source",
      "created_at",
      "recovery_candidate_id",
    ],
  },
} as const;

export type ArchiveJobName = keyof typeof ARCHIVE_JOBS;

/**
 * Tables purged by age (no archive copy). `filter` selects the rows past the retention ($1 = days).
 * `partitioned` names a monthly-partitioned archive (migration 031): whole months past the
 * retention are dropped first, the rest are deleted in batches.
 */
export const PURGE_JOBS = {
  replay_log_purge: { table: "m10_recovery.replay_log", filter: "replayed_at < now() - make_interval(days => $1)" },
  dead_letter_archive_purge: {
    table: "m10_recovery.dead_letter_archive",
    filter: "archived_at < now() - make_interval(days => $1)",
    partitioned: "dead_letter_archive",
  },
  provenance_archive_purge: {
    table: "m10_recovery.suggestion_provenance_archive",
    filter: "archived_at < now() - make_interval(days => $1)",
    partitioned: "suggestion_provenance_archive",
  },
  inputs_archive_purge: {
    table: "m10_recovery.suggestion_input_archive",
    filter: "archived_at < now() - make_interval(days => $1)",
    partitioned: "suggestion_input_archive",
  },
  outbox_purge: {
    table: "m10_recovery.outbox",
    filter: "processed_at IS NOT NULL AND processed_at < now() - make_interval(days => $1)",
  },
  work_queue_purge: {
    table: "m10_recovery.work_queue",
    filter: "processed_at IS NOT NULL AND processed_at < now() - make_interval(days => $1)",
  },
} as const;

export type PurgeJobName = keyof typeof PURGE_JOBS;

/** Months of archive partitions kept ready beyond the current one (migration 031). */
export const ARCHIVE_PARTITION_MONTHS_AHEAD = 3;

/** ensure_archive_partitions: this month's and the next months' partitions; returns how many it created. */
export async function ensureArchivePartitions(db: Queryable, monthsAhead = ARCHIVE_PARTITION_MONTHS_AHEAD): Promise<number> {
  const result = await db.query<{ created: number }>("SELECT m10_recovery.ensure_archive_partitions($1) AS created", [monthsAhead]);
  return result.rows[0]?.created ?? 0;
}

export interface ArchivePartition {
  partition: string;
  rows: number;
}

function partitionedTable(job: PurgeJobName): string | undefined {
  const spec = PURGE_JOBS[job];
  return "partitioned" in spec ? spec.partitioned : undefined;
}

/**
 * The job's monthly partitions that ended before the retention, with their rows: what
 * drop_archive_partitions would drop (the same selection, for dry runs and reports). Empty for a
 * job whose table is not partitioned.
 */
export async function expiredArchivePartitions(db: Queryable, job: PurgeJobName, retentionDays: number): Promise<ArchivePartition[]> {
  const table = partitionedTable(job);
  if (table === undefined) return [];
  const found = await db.query<{ partition: string }>(
    `SELECT c.relname AS partition
       FROM pg_inherits i
       JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = ('m10_recovery.' || $1)::regclass
        AND c.relname ~ ('^' || $1 || '_p[0-9]{6}$')
        AND ((to_date(right(c.relname, 6), 'YYYYMM')::timestamp + interval '1 month') AT TIME ZONE 'UTC') <= now() - make_interval(days => $2)
      ORDER BY c.relname`,
    [table, retentionDays],
  );
  const partitions: ArchivePartition[] = [];
  for (const { partition } of found.rows) {
    // The name matched <table>_pYYYYMM above, so it is safe to quote into the statement.
    const counted = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM m10_recovery."${partition}"`);
    partitions.push({ partition, rows: counted.rows[0]?.n ?? 0 });
  }
  return partitions;
}

/**
 * Drops the job's whole monthly partitions that ended before the retention (drop_archive_partitions);
 * returns the rows dropped. 0 for a job whose table is not partitioned.
 */
export async function dropExpiredPartitions(db: Queryable, job: PurgeJobName, retentionDays: number): Promise<number> {
  const table = partitionedTable(job);
  if (table === undefined) return 0;
  const result = await db.query<{ dropped: string }>("SELECT m10_recovery.drop_archive_partitions($1, now() - make_interval(days => $2)) AS dropped", [table, retentionDays]);
  return Number(result.rows[0]?.dropped ?? 0);
}

export async function listRetentionJobs(db: Queryable): Promise<RetentionJobRow[]> {
  const result = await db.query<RetentionJobRow>(
    "SELECT name, retention_days, last_run, rows_archived, rows_deleted FROM m10_recovery.retention_jobs ORDER BY id",
  );
  return result.rows;
}

/** Records a finished (non-dry) run of a retention_jobs row; false when no row has that name. */
export async function recordRetentionRun(db: Queryable, name: string, archived: number, deleted: number): Promise<boolean> {
  const result = await db.query(
    `UPDATE m10_recovery.retention_jobs
        SET last_run = now(), rows_archived = $2, rows_deleted = $3, updated_at = now()
      WHERE name = $1`,
    [name, archived, deleted],
  );
  return (result.rowCount ?? 0) > 0;
}

export async function countArchivable(db: Queryable, job: ArchiveJobName, retentionDays: number): Promise<number> {
  const { source } = ARCHIVE_JOBS[job];
  const result = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ${source} WHERE created_at < now() - make_interval(days => $1)`,
    [retentionDays],
  );
  return result.rows[0]?.n ?? 0;
}

export interface BatchResult {
  archived: number;
  deleted: number;
  /** Highest id handled; the next batch starts after it. */
  lastId: number | null;
}

/**
 * Moves one batch of rows older than the retention (ids above `afterId`) into the archive table
 * and deletes them from the source, in one statement: a row is never deleted without its copy.
 */
export async function archiveBatch(db: Queryable, job: ArchiveJobName, retentionDays: number, batchSize: number, afterId: number): Promise<BatchResult> {
  const { source, archive, columns } = ARCHIVE_JOBS[job];
  const list = columns.join(", ");
  const result = await db.query<{ archived: number; deleted: number; last_id: number | null }>(
    `WITH picked AS (
        SELECT id FROM ${source}
         WHERE id > $3 AND created_at < now() - make_interval(days => $1)
         ORDER BY id
         LIMIT $2
           FOR UPDATE SKIP LOCKED
     ), moved AS (
        DELETE FROM ${source} s USING picked WHERE s.id = picked.id
        RETURNING ${columns.map((c) => `s.${c}`).join(", ")}
     ), copied AS (
        INSERT INTO ${archive} (${list}, archived_at)
        SELECT ${list}, now() FROM moved
        RETURNING id
     )
     SELECT (SELECT count(*)::int FROM copied) AS archived,
            (SELECT count(*)::int FROM moved) AS deleted,
            (SELECT max(id) FROM picked) AS last_id`,
    [retentionDays, batchSize, afterId],
  );
  const row = result.rows[0];
  return { archived: row?.archived ?? 0, deleted: row?.deleted ?? 0, lastId: row?.last_id ?? null };
}

export async function countPurgeable(db: Queryable, job: PurgeJobName, retentionDays: number): Promise<number> {
  const { table, filter } = PURGE_JOBS[job];
  const result = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE ${filter}`, [retentionDays]);
  return result.rows[0]?.n ?? 0;
}

/** Deletes one batch of rows past the retention (ids above `afterId`). */
export async function purgeBatch(db: Queryable, job: PurgeJobName, retentionDays: number, batchSize: number, afterId: number): Promise<BatchResult> {
  const { table, filter } = PURGE_JOBS[job];
  const result = await db.query<{ deleted: number; last_id: number | null }>(
    `WITH picked AS (
        SELECT id FROM ${table}
         WHERE id > $3 AND ${filter}
         ORDER BY id
         LIMIT $2
           FOR UPDATE SKIP LOCKED
     ), gone AS (
        DELETE FROM ${table} t USING picked WHERE t.id = picked.id RETURNING t.id
     )
     SELECT (SELECT count(*)::int FROM gone) AS deleted, (SELECT max(id) FROM picked) AS last_id`,
    [retentionDays, batchSize, afterId],
  );
  const row = result.rows[0];
  return { archived: 0, deleted: row?.deleted ?? 0, lastId: row?.last_id ?? null };
}

/**
 * candidates_archive has no archive table in the contract, so it only counts the reviewed
 * (approved or rejected) candidates past the retention, as the predecessor's job did.
 */
export async function countArchivableCandidates(db: Queryable, retentionDays: number): Promise<number> {
  const result = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM public.recovery_candidates
      WHERE decision IN ('approved', 'rejected') AND created_at < now() - make_interval(days => $1)`,
    [retentionDays],
  );
  return result.rows[0]?.n ?? 0;
}
