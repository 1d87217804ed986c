import { describe, expect, it } from "vitest";
import {
  CONTRACT_FUNCTIONS,
  CONTRACT_NAMES,
  CONTRACT_TABLES,
  CONTRACT_VIEWS,
  M10_ADDED_COLUMNS,
  M7_TABLES,
  PARTITIONED_ARCHIVES,
  PARTITIONING_FUNCTIONS,
  PARTITIONING_NAMES,
  SEED_ACTIONS,
  SEED_RETENTION_JOBS,
  type ContractColumn,
} from "./contract.js";
import { useTestEnvironment } from "../support/environment.js";

const t = useTestEnvironment({ poolMax: 1 });

async function columnsOf(qualified: string): Promise<ContractColumn[]> {
  const result = await t.pool.query<ContractColumn>(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS "notNull"
       FROM pg_attribute a
      WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY a.attnum`,
    [qualified],
  );
  return result.rows;
}

describe("schema after migrating up matches the schema contract", () => {
  it.each(Object.keys(CONTRACT_TABLES))("table %s has the contract's columns, types and nullability", async (table) => {
    const actual = await columnsOf(table);
    for (const expected of CONTRACT_TABLES[table] ?? []) {
      expect(actual.find((c) => c.name === expected.name), `${table}.${expected.name}`).toEqual(expected);
    }
  });

  it("recovery_candidates lives in public, not in m10_recovery", async () => {
    const result = await t.pool.query("SELECT table_schema FROM information_schema.tables WHERE table_name = 'recovery_candidates'");
    expect(result.rows).toEqual([{ table_schema: "public" }]);
  });

  it.each(Object.keys(M10_ADDED_COLUMNS))("table %s has M10's added columns", async (table) => {
    const actual = await columnsOf(table);
    for (const expected of M10_ADDED_COLUMNS[table] ?? []) {
      expect(actual.find((c) => c.name === expected.name), `${table}.${expected.name}`).toEqual(expected);
    }
  });

  it("every constraint and index name the contract lists exists", async () => {
    const result = await t.pool.query<{ name: string }>(
      `SELECT conname AS name FROM pg_constraint
        UNION SELECT indexname FROM pg_indexes WHERE schemaname IN ('public', 'm10_recovery')`,
    );
    const present = new Set(result.rows.map((r) => r.name));
    expect(CONTRACT_NAMES.filter((name) => !present.has(name))).toEqual([]);
  });

  it("partial unique indexes keep their predicates (uq_rc_fmid_sig, uq_work_queue_candidate_pending, uq_outbox_pending, uq_refresh_log_running)", async () => {
    const result = await t.pool.query<{ indexname: string; indexdef: string }>(
      "SELECT indexname, indexdef FROM pg_indexes WHERE indexname = ANY($1)",
      [["uq_rc_fmid_sig", "uq_work_queue_candidate_pending", "uq_outbox_pending", "uq_refresh_log_running"]],
    );
    const defs = Object.fromEntries(result.rows.map((r) => [r.indexname, r.indexdef]));
    expect(defs.uq_rc_fmid_sig).toMatch(/UNIQUE INDEX .* \(failure_match_id, error_signature\) WHERE \(error_signature IS NOT NULL\)/);
    expect(defs.uq_work_queue_candidate_pending).toMatch(/UNIQUE INDEX .* \(candidate_id\) WHERE \(processed_at IS NULL\)/);
    // 026: one pending row per version of an aggregate (was: per aggregate and event type, issue 11).
    expect(defs.uq_outbox_pending).toMatch(/UNIQUE INDEX .* \(aggregate_type, aggregate_id, version\) WHERE \(processed_at IS NULL\)/);
    expect(defs.uq_refresh_log_running).toMatch(/UNIQUE INDEX .* \(view_name\) WHERE \(completed_at IS NULL\)/);
  });

  it("every contract function exists with exactly one signature", async () => {
    const result = await t.pool.query<{ signature: string; name: string }>(
      `SELECT p.oid::regprocedure::text AS signature, n.nspname || '.' || p.proname AS name
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname IN ('m10_recovery', 'public') AND p.prokind = 'f'`,
    );
    // regprocedure leaves names on the search path (public) unqualified
    const signatures = result.rows.map((r) => (r.signature.split("(")[0]?.includes(".") ? r.signature : `public.${r.signature}`).replace(/, /g, ","));
    for (const expected of CONTRACT_FUNCTIONS) {
      expect(signatures, expected).toContain(expected);
      const name = expected.split("(")[0];
      expect(result.rows.filter((r) => r.name === name), `${name} overloads`).toHaveLength(1);
    }
  });

  it("claim_outbox_events returns the contract's columns (id first), then the version (026)", async () => {
    const result = await t.pool.query<{ result: string }>(
      "SELECT pg_get_function_result('m10_recovery.claim_outbox_events(text,integer,integer)'::regprocedure) AS result",
    );
    expect(result.rows[0]?.result).toBe("TABLE(id bigint, aggregate_type text, aggregate_id text, event_type text, payload jsonb, retry_count integer, version bigint)");
  });

  it("the 022 runbook's function check returns exactly 9 rows", async () => {
    const result = await t.pool.query(`
      SELECT routine_name FROM information_schema.routines
      WHERE routine_schema = 'm10_recovery'
      AND routine_name IN ('acquire_lock', 'release_lock', 'extend_lock', 'record_replay',
                           'archive_dead_letter', 'publish_outbox', 'claim_outbox_events',
                           'complete_outbox_event', 'cleanup_expired_locks')
      ORDER BY routine_name`);
    expect(result.rowCount).toBe(9);
  });

  it("views exist and mv_top_pending is a real materialized view with its unique index", async () => {
    for (const view of CONTRACT_VIEWS) {
      const result = await t.pool.query("SELECT to_regclass($1) IS NOT NULL AS present", [view]);
      expect(result.rows[0], view).toEqual({ present: true });
    }
    const mv = await t.pool.query("SELECT matviewname, ispopulated FROM pg_matviews WHERE schemaname = 'm10_recovery'");
    expect(mv.rows).toEqual([{ matviewname: "mv_top_pending", ispopulated: true }]);
    await t.pool.query("REFRESH MATERIALIZED VIEW CONCURRENTLY m10_recovery.mv_top_pending");
  });

  it("generated dead-letter columns follow reason and the dead-letter time", async () => {
    const result = await t.pool.query<{ generated: string; attname: string }>(
      `SELECT attname, attgenerated AS generated FROM pg_attribute
        WHERE attrelid = 'm10_recovery.dead_letter_archive'::regclass AND attname IN ('failure_reason', 'failed_at') ORDER BY attname`,
    );
    expect(result.rows).toEqual([
      { attname: "failed_at", generated: "s" },
      { attname: "failure_reason", generated: "s" },
    ]);
  });

  it("seeds the 7 suggestion actions (ids 1-7 in order) and the 3 retention jobs", async () => {
    const actions = await t.pool.query<{ id: number; action_code: string }>("SELECT id, action_code FROM m10_recovery.suggestion_action ORDER BY id");
    expect(actions.rows.map((r) => r.action_code)).toEqual(SEED_ACTIONS);
    expect(actions.rows.map((r) => r.id)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const jobs = await t.pool.query<{ name: string; retention_days: number }>("SELECT name, retention_days FROM m10_recovery.retention_jobs ORDER BY id");
    expect(jobs.rows.map((r) => [r.name, r.retention_days])).toEqual(SEED_RETENTION_JOBS);
  });

  it("has the M7 tables and no predecessor-only objects (m10_dlq, 035 overloads)", async () => {
    for (const table of M7_TABLES) {
      const result = await t.pool.query("SELECT to_regclass($1) IS NOT NULL AS present", [table]);
      expect(result.rows[0], table).toEqual({ present: true });
    }
    const dlq = await t.pool.query("SELECT 1 FROM information_schema.schemata WHERE schema_name = 'm10_dlq'");
    expect(dlq.rowCount).toBe(0);
  });

  it("031: the archive tables are partitioned by month on archived_at, each with a default partition and the current month's", async () => {
    for (const table of PARTITIONED_ARCHIVES) {
      const result = await t.pool.query<{ key: string; partitions: string[] }>(
        `SELECT pg_get_partkeydef($1::regclass) AS key,
                (SELECT array_agg(partition_name::text ORDER BY partition_name) FROM m10_recovery.archive_partitions WHERE table_name = $2) AS partitions`,
        [table, table.split(".")[1]],
      );
      expect(result.rows[0]?.key, table).toBe("RANGE (archived_at)");
      const month = new Date().toISOString().slice(0, 7).replace("-", "");
      expect(result.rows[0]?.partitions, table).toEqual(expect.arrayContaining([`${table.split(".")[1]}_default`, `${table.split(".")[1]}_p${month}`]));
    }
    const [uq, pkey] = (
      await t.pool.query<{ def: string }>("SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conname IN ('uq_dla_dl_msg', 'dead_letter_archive_pkey') ORDER BY conname DESC")
    ).rows.map((row) => row.def);
    expect([uq, pkey]).toEqual(["UNIQUE (dl_msg_id, archived_at)", "PRIMARY KEY (id, archived_at)"]);
  });

  it("031: the partitioning functions, the key table's trigger and the partitions view exist", async () => {
    const functions = await t.pool.query<{ signature: string }>(
      "SELECT p.oid::regprocedure::text AS signature FROM pg_proc p WHERE p.pronamespace = 'm10_recovery'::regnamespace",
    );
    const signatures = functions.rows.map((row) => row.signature.replace(/, /g, ","));
    for (const expected of PARTITIONING_FUNCTIONS) expect(signatures, expected).toContain(expected);
    const names = await t.pool.query<{ name: string }>(
      `SELECT conname AS name FROM pg_constraint UNION SELECT tgname FROM pg_trigger
        UNION SELECT 'm10_recovery.' || viewname FROM pg_views WHERE schemaname = 'm10_recovery'`,
    );
    const present = new Set(names.rows.map((row) => row.name));
    expect(PARTITIONING_NAMES.filter((name) => !present.has(name))).toEqual([]);
  });
});
