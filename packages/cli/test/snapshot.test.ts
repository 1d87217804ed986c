// m10ctl db snapshot + db verify-snapshot: a real pg_dump and a restore into a scratch database.
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { testStack, useTestDatabase } from "@m10/devstack/testing";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { m10ctl, m10ctlJson } from "./support/m10ctl.js";

const database = useTestDatabase();

describe("m10ctl db snapshot / verify-snapshot", () => {
  it("dumps the database with the handbook's naming, logs it, and restores it into a scratch database that is dropped afterwards", async () => {
    const db = new pg.Client({ connectionString: database.url });
    await db.connect();
    await db.query("SELECT m10_recovery.publish_outbox('t', a::text, 'e', '{}') FROM generate_series(1, 3) AS a");
    await db.end();
    const dir = mkdtempSync(join(testStack().dir, "backups-"));

    const snapshot = await m10ctlJson<{ file: string; size_bytes: number; toc_entries: number; sha256: string; log_file: string }>(
      ["db", "snapshot", "--dir", dir, "--note", "before test migration"],
      { DATABASE_URL: database.url },
    );
    expect(snapshot.code, snapshot.stderr).toBe(0);
    expect(snapshot.json.file).toMatch(new RegExp(`^${dir}/pre_migration_\\d{4}-\\d{2}-\\d{2}_\\d{4}\\.dump$`));
    expect(existsSync(snapshot.json.file)).toBe(true);
    expect(snapshot.json.size_bytes).toBeGreaterThan(0);
    expect(snapshot.json.toc_entries).toBeGreaterThan(10);
    expect(snapshot.json.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(readFileSync(join(dir, "migration_log.txt"), "utf8")).toContain(`before test migration (${snapshot.json.file})`);

    const verify = await m10ctlJson<{ scratch_database: string; outbox_rows: number; dropped: boolean }>(["db", "verify-snapshot", snapshot.json.file], {
      DATABASE_URL: database.url,
    });
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.json).toMatchObject({ outbox_rows: 3, dropped: true });
    const admin = new pg.Client({ connectionString: testStack().postgresAdminUrl });
    await admin.connect();
    const left = await admin.query("SELECT datname FROM pg_database WHERE datname = $1", [verify.json.scratch_database]);
    await admin.end();
    expect(left.rows).toEqual([]);

    // A second snapshot in the same minute never overwrites the first.
    const second = await m10ctlJson<{ file: string }>(["db", "snapshot", "--dir", dir], { DATABASE_URL: database.url });
    expect(second.json.file).not.toBe(snapshot.json.file);
  });

  it("fails with exit code 1 for a file that is not a dump, and 2 without DATABASE_URL", async () => {
    const bad = await m10ctlJson(["db", "verify-snapshot", "/etc/hostname"], { DATABASE_URL: database.url });
    expect(bad.code).toBe(1);
    expect(bad.json).toHaveProperty("error");
    const unconfigured = await m10ctl(["db", "snapshot", "--json"], { DATABASE_URL: undefined });
    expect(unconfigured.code).toBe(2);
    expect(JSON.parse(unconfigured.stdout)).toMatchObject({ error: expect.stringContaining("DATABASE_URL") });
  });
});
