import { createEmptyDatabase } from "@m10/devstack/testing";
import { migrateDown, migrateTo, migrateUp, migrationNames, migrationStatus } from "@m10/migrations";
import pg from "pg";
import { describe, expect, it } from "vitest";

async function userObjects(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND c.relname NOT LIKE 'pgmigrations%'`,
    );
    return result.rows[0]?.n ?? -1;
  } finally {
    await client.end();
  }
}

describe("migrations", () => {
  it("go up from empty, down to zero, and up again", async () => {
    const db = await createEmptyDatabase();
    try {
      const names = migrationNames();
      expect(await migrateUp(db.url)).toEqual(names);
      expect(await userObjects(db.url)).toBeGreaterThan(50);

      expect(await migrateDown(db.url, Infinity)).toEqual([...names].reverse());
      expect(await userObjects(db.url)).toBe(0);

      expect(await migrateUp(db.url)).toEqual(names);
      expect((await migrationStatus(db.url)).every((state) => state.applied)).toBe(true);
    } finally {
      await db.drop();
    }
  });

  it("migrate to a revision goes down and back up by number prefix", async () => {
    const db = await createEmptyDatabase();
    try {
      await migrateUp(db.url);
      const down = await migrateTo(db.url, "021");
      expect(down.direction).toBe("down");
      const status = await migrationStatus(db.url);
      expect(status.filter((s) => s.applied).map((s) => s.name).at(-1)).toBe("021_m10_durable_queue_fallback");
      expect((await migrateTo(db.url, migrationNames().at(-1) ?? "")).direction).toBe("up");
      await expect(migrateTo(db.url, "999")).rejects.toThrow(/unknown revision/);
    } finally {
      await db.drop();
    }
  });
});
