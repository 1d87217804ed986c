import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { runner } from "node-pg-migrate";
import pg from "pg";

/** The SQL migrations shipped with this package, in the order they apply. */
export const MIGRATIONS_DIR = fileURLToPath(new URL("../sql", import.meta.url));
export const MIGRATIONS_TABLE = "pgmigrations";

export type Log = (message: string) => void;

export interface MigrationState {
  name: string;
  applied: boolean;
  runOn: Date | null;
}

export function migrationNames(): string[] {
  return readdirSync(MIGRATIONS_DIR)
    .filter((file) => file.endsWith(".sql"))
    .map((file) => file.slice(0, -".sql".length))
    .sort();
}

function options(databaseUrl: string, log: Log) {
  return {
    databaseUrl,
    dir: MIGRATIONS_DIR,
    migrationsTable: MIGRATIONS_TABLE,
    checkOrder: true,
    log,
    logger: { debug: () => undefined, info: log, warn: log, error: log },
  };
}

const quiet: Log = () => undefined;

/** Applies every pending migration (or `count` of them). Returns the names applied. */
export async function migrateUp(databaseUrl: string, count = Infinity, log: Log = quiet): Promise<string[]> {
  const ran = await runner({ ...options(databaseUrl, log), direction: "up", count });
  return ran.map((migration) => migration.name);
}

/** Reverts the last `count` applied migrations (all with Infinity). Returns the names reverted. */
export async function migrateDown(databaseUrl: string, count = 1, log: Log = quiet): Promise<string[]> {
  const ran = await runner({ ...options(databaseUrl, log), direction: "down", count });
  return ran.map((migration) => migration.name);
}

export async function migrationStatus(databaseUrl: string): Promise<MigrationState[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const exists = await client.query<{ present: boolean }>("SELECT to_regclass($1) IS NOT NULL AS present", [`public.${MIGRATIONS_TABLE}`]);
    const applied = new Map<string, Date>();
    if (exists.rows[0]?.present) {
      const rows = await client.query<{ name: string; run_on: Date }>(`SELECT name, run_on FROM public.${MIGRATIONS_TABLE}`);
      for (const row of rows.rows) applied.set(row.name, row.run_on);
    }
    return migrationNames().map((name) => ({ name, applied: applied.has(name), runOn: applied.get(name) ?? null }));
  } finally {
    await client.end();
  }
}

export class UnknownRevisionError extends Error {
  constructor(revision: string) {
    super(`unknown revision "${revision}"; known: ${migrationNames().join(", ")}`);
    this.name = "UnknownRevisionError";
  }
}

/**
 * Migrates up or down so that `revision` (a full name like 021_m10_durable_queue_fallback or its
 * number prefix like 021, or "0" for an empty schema) is the last applied migration.
 */
export async function migrateTo(databaseUrl: string, revision: string, log: Log = quiet): Promise<{ direction: "up" | "down" | "none"; names: string[] }> {
  const names = migrationNames();
  const target = revision === "0" ? -1 : names.findIndex((name) => name === revision || name.split("_")[0] === revision);
  if (target === -1 && revision !== "0") throw new UnknownRevisionError(revision);
  const status = await migrationStatus(databaseUrl);
  const appliedCount = status.filter((state) => state.applied).length;
  const wanted = target + 1;
  if (wanted > appliedCount) return { direction: "up", names: await migrateUp(databaseUrl, wanted - appliedCount, log) };
  if (wanted < appliedCount) return { direction: "down", names: await migrateDown(databaseUrl, appliedCount - wanted, log) };
  return { direction: "none", names: [] };
}
