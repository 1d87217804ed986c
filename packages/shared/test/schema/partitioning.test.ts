// Migration 031 (the seed's 023): the archive tables become monthly partitions. Up and Down run on
// a database holding 100k archived rows and lose nothing; partitions are created ahead, rows of a
// month without a partition wait in the default one and move in when it is created, whole months
// are dropped for retention, and archive_dead_letter stays idempotent on dl_msg_id across months.
import { createEmptyDatabase, type TestDatabase } from "@m10/devstack/testing";
import { migrateDown, migrateTo, migrateUp, migrationNames } from "@m10/migrations";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const PARTITIONING = "031_m10_archive_partitioning";
const ARCHIVES = ["m10_recovery.suggestion_provenance_archive", "m10_recovery.suggestion_input_archive", "m10_recovery.dead_letter_archive"];

let db: TestDatabase;
let client: pg.Client;

beforeAll(async () => {
  db = await createEmptyDatabase();
  const before = migrationNames()[migrationNames().indexOf(PARTITIONING) - 1] ?? "";
  await migrateTo(db.url, before);
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
}, 120_000);

afterAll(async () => {
  await client?.end();
  await db?.drop();
});

async function fingerprint(): Promise<Record<string, { rows: number; md5: string }>> {
  const out: Record<string, { rows: number; md5: string }> = {};
  for (const table of ARCHIVES) {
    const result = await client.query<{ rows: number; md5: string }>(
      `SELECT count(*)::int AS rows, md5(string_agg(t::text, '|' ORDER BY id)) AS md5 FROM ${table} t`,
    );
    out[table] = result.rows[0]!;
  }
  return out;
}

async function partitionsOf(table: string): Promise<string[]> {
  const result = await client.query<{ partition_name: string }>("SELECT partition_name FROM m10_recovery.archive_partitions WHERE table_name = $1", [table]);
  return result.rows.map((row) => row.partition_name);
}

async function isPartitioned(table: string): Promise<boolean> {
  const result = await client.query<{ kind: string }>("SELECT relkind::text AS kind FROM pg_class WHERE oid = $1::regclass", [table]);
  return result.rows[0]?.kind === "p";
}

describe("migration 031: archive partitioning", () => {
  it("up, down and up again on 100k archived rows spread over 14 months: every row kept, byte for byte", async () => {
    await client.query(`
      INSERT INTO m10_recovery.suggestion_provenance_archive (id, suggestion_id, event_type, details, actor, actor_type, created_at, archived_at)
      SELECT g, g, 'created', jsonb_build_object('g', g), 'worker', 'system', now() - interval '500 days', now() - make_interval(days => g % 420)
        FROM generate_series(1, 30000) g`);
    await client.query(`
      INSERT INTO m10_recovery.suggestion_input_archive (id, suggestion_id, input_type, raw_value, confidence, created_at, archived_at)
      SELECT g, g, 'error_code', 'E' || g, 0.5, now() - interval '500 days', now() - make_interval(days => g % 420)
        FROM generate_series(1, 30000) g`);
    await client.query(`
      INSERT INTO m10_recovery.dead_letter_archive (dl_msg_id, original_msg_id, candidate_id, payload, reason, dead_lettered_at, archived_at)
      SELECT CASE WHEN g % 10 = 0 THEN NULL ELSE 'dl-' || g END, 'o-' || g, g, jsonb_build_object('g', g), 'max_reclaims',
             now() - make_interval(days => g % 420, hours => 1), now() - make_interval(days => g % 420)
        FROM generate_series(1, 40000) g`);
    const before = await fingerprint();
    expect(Object.values(before).reduce((sum, t) => sum + t.rows, 0)).toBe(100_000);

    expect(await migrateUp(db.url, 1)).toEqual([PARTITIONING]);
    for (const table of ARCHIVES) expect(await isPartitioned(table), table).toBe(true);
    expect(await fingerprint()).toEqual(before);
    // Every month holding rows has its partition, plus the default; none of the rows waits in the default.
    expect((await partitionsOf("dead_letter_archive")).length).toBeGreaterThanOrEqual(15 + 1);
    const waiting = await client.query<{ n: number }>("SELECT count(*)::int AS n FROM m10_recovery.dead_letter_archive_default");
    expect(waiting.rows[0]?.n).toBe(0);

    expect(await migrateDown(db.url, 1)).toEqual([PARTITIONING]);
    for (const table of ARCHIVES) expect(await isPartitioned(table), table).toBe(false);
    expect(await fingerprint()).toEqual(before);
    const constraints = await client.query<{ def: string }>(
      "SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conname IN ('uq_dla_dl_msg', 'dead_letter_archive_pkey') ORDER BY conname",
    );
    expect(constraints.rows.map((row) => row.def)).toEqual(["PRIMARY KEY (id)", "UNIQUE (dl_msg_id)"]);

    expect(await migrateUp(db.url, 1)).toEqual([PARTITIONING]);
    expect(await fingerprint()).toEqual(before);
    // New rows still take ids from the same sequences, after the copied ones.
    const id = await client.query<{ id: string }>("SELECT m10_recovery.archive_dead_letter('dl-new', 'o', NULL, NULL, '{}'::jsonb) AS id");
    expect(Number(id.rows[0]?.id)).toBeGreaterThan(40_000);
  }, 300_000);

  it("archive_dead_letter is idempotent on dl_msg_id across months, and a second row with a known dl_msg_id is refused", async () => {
    const old = await client.query<{ id: string; month: string }>(
      "SELECT id, tableoid::regclass::text AS month FROM m10_recovery.dead_letter_archive WHERE dl_msg_id = 'dl-201'",
    );
    expect(old.rows[0]?.month).not.toMatch(/default$/);
    const again = await client.query<{ id: string }>("SELECT m10_recovery.archive_dead_letter('dl-201', 'o', NULL, NULL, '{\"v\":2}'::jsonb) AS id");
    expect(again.rows[0]?.id).toBe(old.rows[0]?.id);
    const moved = await client.query<{ n: number; payload: unknown; fresh: boolean }>(
      "SELECT count(*) OVER ()::int AS n, payload, archived_at > now() - interval '1 minute' AS fresh FROM m10_recovery.dead_letter_archive WHERE dl_msg_id = 'dl-201'",
    );
    expect(moved.rows).toEqual([{ n: 1, payload: { g: 201 }, fresh: true }]);
    await expect(
      client.query("INSERT INTO m10_recovery.dead_letter_archive (dl_msg_id, payload, archived_at) VALUES ('dl-201', '{}', now() - interval '300 days')"),
    ).rejects.toMatchObject({ code: "23505", constraint: "dead_letter_archive_keys_pkey" });
    // Concurrent first archives of one id: one row, one id.
    const ids = await Promise.all(
      Array.from({ length: 8 }, async () => {
        const c = new pg.Client({ connectionString: db.url });
        await c.connect();
        try {
          return (await c.query<{ id: string }>("SELECT m10_recovery.archive_dead_letter('dl-race', 'o', NULL, NULL, '{}'::jsonb) AS id")).rows[0]?.id;
        } finally {
          await c.end();
        }
      }),
    );
    expect(new Set(ids).size).toBe(1);
    // A key left without its row (its month dropped by hand, rows truncated) does not block a new archive.
    await client.query("INSERT INTO m10_recovery.dead_letter_archive (dl_msg_id, payload, archived_at) VALUES ('stale', '{}', now() + interval '30 years')");
    await client.query("TRUNCATE m10_recovery.dead_letter_archive_default");
    const fresh = await client.query<{ id: string | null }>("SELECT m10_recovery.archive_dead_letter('stale', 'o', NULL, NULL, '{}'::jsonb) AS id");
    expect(fresh.rows[0]?.id).not.toBeNull();
    expect((await client.query("SELECT count(*)::int AS n FROM m10_recovery.dead_letter_archive WHERE dl_msg_id = 'stale'")).rows).toEqual([{ n: 1 }]);
  });

  it("a month without a partition waits in the default partition and moves into the month's partition when ensure_archive_partitions creates it", async () => {
    await client.query("INSERT INTO m10_recovery.dead_letter_archive (dl_msg_id, payload, archived_at) VALUES ('far-ahead', '{}', now() + interval '8 months')");
    const where = () => client.query<{ part: string }>("SELECT tableoid::regclass::text AS part FROM m10_recovery.dead_letter_archive WHERE dl_msg_id = 'far-ahead'");
    expect((await where()).rows[0]?.part).toBe("m10_recovery.dead_letter_archive_default");
    const created = await client.query<{ n: number }>("SELECT m10_recovery.ensure_archive_partitions(9) AS n");
    expect(created.rows[0]?.n).toBe(3 * 6); // months 4..9 ahead, for three tables
    expect((await where()).rows[0]?.part).toMatch(/^m10_recovery\.dead_letter_archive_p\d{6}$/);
    expect((await client.query("SELECT m10_recovery.ensure_archive_partitions(9) AS n")).rows[0]).toEqual({ n: 0 });
    await expect(client.query("SELECT m10_recovery.ensure_archive_partitions(-1)")).rejects.toMatchObject({ code: "22023" });
  });

  it("drop_archive_partitions drops whole months that ended before the cut-off, returns their rows, and frees their dead-letter keys", async () => {
    const cutoff = "now() - interval '90 days'";
    const expected = await client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM m10_recovery.dead_letter_archive
        WHERE archived_at < date_trunc('month', (${cutoff}) AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'`,
    );
    const dropped = await client.query<{ n: string }>(`SELECT m10_recovery.drop_archive_partitions('dead_letter_archive', ${cutoff}) AS n`);
    expect(Number(dropped.rows[0]?.n)).toBe(expected.rows[0]?.n);
    expect(expected.rows[0]?.n).toBeGreaterThan(20_000);
    const left = await client.query<{ oldest_kept: boolean; keys: number; rows: number }>(
      `SELECT min(archived_at) >= date_trunc('month', (${cutoff}) AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS oldest_kept,
              (SELECT count(*)::int FROM m10_recovery.dead_letter_archive_keys) AS keys, count(dl_msg_id)::int AS rows
         FROM m10_recovery.dead_letter_archive`,
    );
    expect(left.rows[0]).toMatchObject({ oldest_kept: true });
    expect(left.rows[0]?.keys).toBe(left.rows[0]?.rows);
    // A dropped dead letter archived again is a new row.
    const again = await client.query<{ id: string }>("SELECT m10_recovery.archive_dead_letter('dl-401', 'o', NULL, NULL, '{}'::jsonb) AS id");
    expect(Number(again.rows[0]?.id)).toBeGreaterThan(40_000);
    await expect(client.query("SELECT m10_recovery.drop_archive_partitions('outbox', now())")).rejects.toMatchObject({ code: "22023" });
  });
});
