// retention on rows dated past and within their retention.
import { describe, expect, it } from "vitest";
import { runRetention } from "../src/retention.js";
import { count, insertCandidate, realRun, useMaintenanceEnvironment } from "./support/environment.js";

const environment = useMaintenanceEnvironment();

function retention(env: Record<string, string> = {}, options: { dryRun: boolean; signal: AbortSignal } = realRun()) {
  const { db, logger } = environment;
  return runRetention({ db, logger, settings: environment.config(env) }, options);
}

describe("retention", () => {
  it("archives and deletes 10,000 old provenance rows in batches and records the counts in retention_jobs", async () => {
    const { db } = environment;
    const candidate = await insertCandidate(db, { ageSeconds: 200 * 86_400 });
    await db.query(
      `INSERT INTO m10_recovery.suggestion_provenance (suggestion_id, event_type, details, created_at)
       SELECT $1::int, 'rule_evaluated', jsonb_build_object('n', n), now() - interval '100 days' FROM generate_series(1, 10000) AS n`,
      [candidate],
    );
    await db.query(
      `INSERT INTO m10_recovery.suggestion_provenance (suggestion_id, event_type, created_at)
       SELECT $1::int, 'created', now() - interval '1 day' FROM generate_series(1, 5)`,
      [candidate],
    );
    const before = await db.query<{ ids: number[] }>("SELECT array_agg(id ORDER BY id) AS ids FROM m10_recovery.suggestion_provenance WHERE created_at < now() - interval '90 days'");

    const { jobs } = await retention({ M10_RETENTION_BATCH_SIZE: "1000" });

    expect(jobs.find((job) => job.job === "provenance_archive")).toMatchObject({ archived: 10_000, deleted: 10_000, recorded: true });
    expect(await count(db, "m10_recovery.suggestion_provenance")).toBe(5);
    expect(await count(db, "m10_recovery.suggestion_provenance_archive")).toBe(10_000);
    const after = await db.query<{ ids: number[] }>("SELECT array_agg(id ORDER BY id) AS ids FROM m10_recovery.suggestion_provenance_archive");
    expect(after.rows[0]!.ids).toEqual(before.rows[0]!.ids);
    const job = await db.query("SELECT rows_archived, rows_deleted, last_run > now() - interval '1 minute' AS recent FROM m10_recovery.retention_jobs WHERE name = 'provenance_archive'");
    expect(job.rows[0]).toEqual({ rows_archived: 10_000, rows_deleted: 10_000, recent: true });
  });

  it("purges replay_log, dead_letter_archive and processed outbox and work_queue rows past their retention, and keeps the rest", async () => {
    const { db } = environment;
    await db.query(`INSERT INTO m10_recovery.replay_log (original_msg_id, replayed_at) VALUES ('old-1', now() - interval '31 days'), ('new-1', now())`);
    await db.query(
      `INSERT INTO m10_recovery.dead_letter_archive (dl_msg_id, payload, reason, archived_at)
       VALUES ('dl-old', '{}', 'x', now() - interval '91 days'), ('dl-new', '{}', 'x', now())`,
    );
    await db.query(
      `INSERT INTO m10_recovery.outbox (aggregate_type, aggregate_id, event_type, payload, created_at, processed_at)
       VALUES ('t', 'old-done', 'e', '{}', now() - interval '30 days', now() - interval '8 days'),
              ('t', 'old-pending', 'e', '{}', now() - interval '30 days', NULL),
              ('t', 'new-done', 'e', '{}', now(), now())`,
    );
    await db.query(
      `INSERT INTO m10_recovery.work_queue (candidate_id, queued_at, processed_at)
       VALUES (900001, now() - interval '30 days', now() - interval '8 days'), (900002, now() - interval '30 days', NULL)`,
    );

    const { jobs } = await retention();

    const deleted = Object.fromEntries(jobs.map((job) => [job.job, job.deleted]));
    expect(deleted).toMatchObject({ replay_log_purge: 1, dead_letter_archive_purge: 1, outbox_purge: 1, work_queue_purge: 1 });
    expect((await db.query("SELECT original_msg_id FROM m10_recovery.replay_log")).rows).toEqual([{ original_msg_id: "new-1" }]);
    expect((await db.query("SELECT dl_msg_id FROM m10_recovery.dead_letter_archive WHERE dl_msg_id LIKE 'dl-%'")).rows).toEqual([{ dl_msg_id: "dl-new" }]);
    expect((await db.query("SELECT aggregate_id FROM m10_recovery.outbox ORDER BY aggregate_id")).rows.map((r) => r.aggregate_id)).toEqual(["new-done", "old-pending"]);
    expect((await db.query("SELECT candidate_id FROM m10_recovery.work_queue")).rows).toEqual([{ candidate_id: 900002 }]);
  });

  it("keeps archive partitions ready ahead and drops whole months of dead letters past the retention (migration 031)", async () => {
    const { db } = environment;
    await db.query("DELETE FROM m10_recovery.dead_letter_archive");
    await db.query(
      `INSERT INTO m10_recovery.dead_letter_archive (dl_msg_id, payload, reason, archived_at)
       SELECT 'month-old-' || n, '{}', 'x', date_trunc('month', now() - interval '200 days') + interval '1 day' FROM generate_series(1, 500) AS n`,
    );
    await db.query(
      `INSERT INTO m10_recovery.dead_letter_archive (dl_msg_id, payload, reason, archived_at)
       VALUES ('waiting-old', '{}', 'x', now() - interval '120 days'), ('recent', '{}', 'x', now())`,
    );
    // The old month gets its partition (its rows move out of the default one); 120 days ago has none.
    await db.query("SELECT m10_recovery.create_archive_partition('dead_letter_archive', (now() - interval '200 days')::date)");
    const month = await db.query<{ part: string }>("SELECT DISTINCT tableoid::regclass::text AS part FROM m10_recovery.dead_letter_archive WHERE dl_msg_id LIKE 'month-old-%'");
    expect(month.rows).toHaveLength(1);
    const oldMonth = month.rows[0]!.part.replace("m10_recovery.", "");
    await db.query("DROP TABLE m10_recovery.dead_letter_archive_p" + (await db.query<{ m: string }>("SELECT to_char(date_trunc('month', now() AT TIME ZONE 'UTC') + interval '3 months', 'YYYYMM') AS m")).rows[0]!.m);

    const details = await retention();

    expect(details.partitions_created).toBe(1);
    expect(details.jobs.find((job) => job.job === "dead_letter_archive_purge")).toMatchObject({ deleted: 501, error: null });
    expect((await db.query("SELECT dl_msg_id FROM m10_recovery.dead_letter_archive")).rows).toEqual([{ dl_msg_id: "recent" }]);
    const partitions = (await db.query<{ partition_name: string }>("SELECT partition_name FROM m10_recovery.archive_partitions WHERE table_name = 'dead_letter_archive'")).rows.map(
      (row) => row.partition_name,
    );
    expect(partitions).not.toContain(oldMonth);
    expect(partitions.filter((name) => /_p\d{6}$/.test(name))).toHaveLength(4);
    expect(await count(db, "m10_recovery.dead_letter_archive_keys")).toBe(1);
  });

  it("drops whole months of both suggestion archives past SUGGESTION_ARCHIVE_RETENTION_DAYS, keeps the current month, and a dry run lists the months", async () => {
    const { db } = environment;
    const suggestion = await insertCandidate(db, { ageSeconds: 500 * 86_400 });
    const OLD = "date_trunc('month', now() - interval '400 days') + interval '1 day'";
    await db.query("DELETE FROM m10_recovery.suggestion_provenance_archive");
    await db.query("DELETE FROM m10_recovery.suggestion_input_archive");
    await db.query(
      `INSERT INTO m10_recovery.suggestion_provenance_archive (suggestion_id, event_type, created_at, archived_at)
       SELECT $1::int, 'rule_evaluated', ${OLD} - interval '90 days', ${OLD} FROM generate_series(1, 300)
       UNION ALL
       SELECT $1::int, 'created', now() - interval '91 days', now() FROM generate_series(1, 5)`,
      [suggestion],
    );
    await db.query(
      `INSERT INTO m10_recovery.suggestion_input_archive (suggestion_id, input_type, raw_value, created_at, archived_at)
       SELECT $1::int, 'error_message', 'old ' || n, ${OLD} - interval '90 days', ${OLD} FROM generate_series(1, 200) AS n
       UNION ALL
       SELECT $1::int, 'error_message', 'new ' || n, now() - interval '91 days', now() FROM generate_series(1, 7) AS n`,
      [suggestion],
    );
    // The old month gets its own partition (its rows move out of the default one), as
    // ensure_archive_partitions would have made it while that month was current.
    const month = (await db.query<{ m: string }>(`SELECT to_char(${OLD}, 'YYYYMM') AS m`)).rows[0]!.m;
    for (const table of ["suggestion_provenance_archive", "suggestion_input_archive"]) {
      await db.query(`SELECT m10_recovery.create_archive_partition($1, (${OLD})::date)`, [table]);
    }
    const job = (details: { jobs: { job: string }[] }, name: string) => details.jobs.find((j) => j.job === name);

    const dry = await retention({}, { dryRun: true, signal: new AbortController().signal });

    expect(job(dry, "provenance_archive_purge")).toMatchObject({
      retention_days: 365,
      eligible: 300,
      deleted: 0,
      partitions: [{ partition: `suggestion_provenance_archive_p${month}`, rows: 300 }],
    });
    expect(job(dry, "inputs_archive_purge")).toMatchObject({ eligible: 200, deleted: 0, partitions: [{ partition: `suggestion_input_archive_p${month}`, rows: 200 }] });
    expect(await count(db, "m10_recovery.suggestion_provenance_archive")).toBe(305);
    expect(await count(db, "m10_recovery.suggestion_input_archive")).toBe(207);

    const real = await retention();

    expect(job(real, "provenance_archive_purge")).toMatchObject({ deleted: 300, partitions: [{ partition: `suggestion_provenance_archive_p${month}`, rows: 300 }], error: null });
    expect(job(real, "inputs_archive_purge")).toMatchObject({ deleted: 200, partitions: [{ partition: `suggestion_input_archive_p${month}`, rows: 200 }], error: null });
    expect(await count(db, "m10_recovery.suggestion_provenance_archive")).toBe(5);
    expect(await count(db, "m10_recovery.suggestion_input_archive")).toBe(7);
    const partitions = (await db.query<{ partition_name: string }>("SELECT partition_name FROM m10_recovery.archive_partitions")).rows.map((row) => row.partition_name);
    const current = (await db.query<{ m: string }>("SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYYMM') AS m")).rows[0]!.m;
    expect(partitions).not.toContain(`suggestion_provenance_archive_p${month}`);
    expect(partitions).not.toContain(`suggestion_input_archive_p${month}`);
    expect(partitions).toEqual(expect.arrayContaining([`suggestion_provenance_archive_p${current}`, `suggestion_input_archive_p${current}`]));
    // Rows of the current month are where they belong, not in the default partition.
    const placed = await db.query<{ part: string }>("SELECT DISTINCT tableoid::regclass::text AS part FROM m10_recovery.suggestion_input_archive");
    expect(placed.rows).toEqual([{ part: `m10_recovery.suggestion_input_archive_p${current}` }]);
  });
});
