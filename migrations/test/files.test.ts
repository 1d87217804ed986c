import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MIGRATIONS_DIR, migrationNames } from "../src/index.js";

describe("migration files", () => {
  const names = migrationNames();

  it("are named after the runbook revisions, in order, starting with 015 and including 017-022", () => {
    expect(names[0]).toBe("015_create_failure_matches");
    for (const revision of ["017_create_recovery_candidates", "018_add_m10_recovery_enhancements", "019_m10_recovery_enhancements", "020_m10_concurrent_indexes", "021_m10_durable_queue_fallback", "022_m10_production_hardening"]) {
      expect(names).toContain(revision);
    }
    expect([...names].sort()).toEqual(names);
    expect(new Set(names.map((n) => n.split("_")[0])).size).toBe(names.length);
  });

  it("each have exactly one Up and one Down section, Up first", () => {
    for (const name of names) {
      const sql = readFileSync(join(MIGRATIONS_DIR, `${name}.sql`), "utf8");
      const up = sql.match(/^-- Up Migration\s*$/gm) ?? [];
      const down = sql.match(/^-- Down Migration\s*$/gm) ?? [];
      expect(up, name).toHaveLength(1);
      expect(down, name).toHaveLength(1);
      expect(sql.indexOf("-- Up Migration"), name).toBeLessThan(sql.indexOf("-- Down Migration"));
    }
  });

  it("create pgcrypto before anything else", () => {
    const first = readFileSync(join(MIGRATIONS_DIR, `${names[0]}.sql`), "utf8");
    const upBody = first.split("-- Up Migration")[1] ?? "";
    const firstStatement = upBody.replace(/--.*$/gm, "").trim().split(";")[0] ?? "";
    expect(firstStatement).toMatch(/CREATE EXTENSION IF NOT EXISTS pgcrypto/i);
  });
});
