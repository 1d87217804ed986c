// The handbook's "enable partitioning (migration 023)" step as an operator runs it, against a
// database that holds archived rows and stops just before 031: m10ctl migrate status shows it
// pending, m10ctl migrate up applies it and keeps every row, m10ctl retention keeps the coming
// months' partitions ready, and the runbook's partition query lists them.
import { createEmptyDatabase, type TestDatabase } from "@m10/devstack/testing";
import { migrateTo, migrationNames } from "@m10/migrations";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliEnv, m10ctlJson } from "./support/m10ctl.js";

const PARTITIONING = "031_m10_archive_partitioning";

let db: TestDatabase;
let client: pg.Client;

beforeAll(async () => {
  db = await createEmptyDatabase();
  await migrateTo(db.url, migrationNames()[migrationNames().indexOf(PARTITIONING) - 1] ?? "");
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
}, 120_000);

afterAll(async () => {
  await client?.end();
  await db?.drop();
});

const archiveRows = async () =>
  (
    await client.query<{ dla: number; sp: number; md5: string }>(
      `SELECT (SELECT count(*)::int FROM m10_recovery.dead_letter_archive) AS dla,
              (SELECT count(*)::int FROM m10_recovery.suggestion_provenance_archive) AS sp,
              (SELECT md5(string_agg(t::text, '|' ORDER BY id)) FROM m10_recovery.dead_letter_archive t) AS md5`,
    )
  ).rows[0];

describe("m10ctl: enabling archive partitioning on a database holding archives", () => {
  it("migrate status shows 031 pending, migrate up applies it without losing a row, retention keeps partitions ahead", async () => {
    await client.query(
      `INSERT INTO m10_recovery.dead_letter_archive (dl_msg_id, payload, reason, archived_at)
       SELECT 'dl-' || g, jsonb_build_object('g', g), 'max_reclaims', now() - make_interval(days => g % 60) FROM generate_series(1, 2000) g`,
    );
    await client.query(
      `INSERT INTO m10_recovery.suggestion_provenance_archive (id, suggestion_id, event_type, details, actor, actor_type, created_at, archived_at)
       SELECT g, g, 'created', '{}', 'worker', 'system', now() - interval '120 days', now() - make_interval(days => g % 60) FROM generate_series(1, 1000) g`,
    );
    const before = await archiveRows();
    const env = cliEnv(db.url);

    const status = await m10ctlJson<{ migrations: { name: string; applied: boolean }[] }>(["migrate", "status"], env);
    expect(status.json.migrations.find((m) => m.name === PARTITIONING)).toMatchObject({ applied: false });

    const up = await m10ctlJson<{ applied: string[] }>(["migrate", "up"], env);
    expect(up.code).toBe(0);
    expect(up.json.applied).toContain(PARTITIONING);
    expect(await archiveRows()).toEqual(before);

    const partitions = await client.query<{ table_name: string; partition_name: string }>(
      "SELECT table_name, partition_name, bounds, pg_size_pretty(bytes) AS size FROM m10_recovery.archive_partitions",
    );
    expect(new Set(partitions.rows.map((row) => row.table_name))).toEqual(
      new Set(["dead_letter_archive", "suggestion_input_archive", "suggestion_provenance_archive"]),
    );

    // Retention (as the orchestrator runs it) keeps the next months ready: one more ahead than 031 made here.
    const farthest = (await client.query<{ m: string }>("SELECT to_char(date_trunc('month', now() AT TIME ZONE 'UTC') + interval '3 months', 'YYYYMM') AS m")).rows[0]!.m;
    await client.query(`DROP TABLE m10_recovery.dead_letter_archive_p${farthest}`);
    const retention = await m10ctlJson<{ details: { partitions_created: number } }>(["retention", "--job", "replay_log_purge"], env);
    expect(retention.code).toBe(0);
    expect(retention.json.details.partitions_created).toBe(1);
    expect(await archiveRows()).toEqual(before);
  }, 120_000);
});
