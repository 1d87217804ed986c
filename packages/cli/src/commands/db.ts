import { resolve } from "node:path";
import type { Command } from "commander";
import { context } from "../context.js";
import type { Output } from "../output.js";
import { keyValues } from "../table.js";
import { takeSnapshot, verifySnapshot } from "../snapshot.js";

export function registerDb(program: Command, output: () => Output): void {
  const db = program
    .command("db")
    .description("database snapshots (the handbook's pre-migration snapshot and restore test)")
    .addHelpText(
      "after",
      `
Examples:
  m10ctl db snapshot                                   # /backups/pre_migration_YYYY-MM-DD_HHMM.dump
  m10ctl db snapshot --dir ./backups --note "before 025"
  m10ctl db verify-snapshot /backups/pre_migration_2025-12-09_1400.dump
  m10ctl migrate up                                    # then migrate`,
    );

  db.command("snapshot")
    .description("pg_dump -Fc to <dir>/<label>_YYYY-MM-DD_HHMM.dump, check it with pg_restore --list, append to <dir>/migration_log.txt")
    .option("--dir <dir>", "directory of the dump (default M10_BACKUP_DIR)")
    .option("--label <label>", "file name prefix", "pre_migration")
    .option("--note <text>", "line for migration_log.txt", "Pre-migration snapshot")
    .action(async (options: { dir?: string; label: string; note: string }) => {
      const ctx = context();
      const result = await takeSnapshot({
        databaseUrl: ctx.databaseUrl(),
        dir: resolve(options.dir ?? ctx.config.M10_BACKUP_DIR),
        label: options.label,
        note: options.note,
        binDir: ctx.config.M10_PG_BIN_DIR,
      });
      output().result(result, () => keyValues({ ...result }));
    });

  db.command("verify-snapshot")
    .description("restore a dump into a scratch database on the same server, count m10_recovery.outbox rows, drop the scratch database")
    .argument("<file>", "a pg_dump -Fc file")
    .action(async (file: string) => {
      const ctx = context();
      const result = await verifySnapshot({ databaseUrl: ctx.databaseUrl(), file: resolve(file), binDir: ctx.config.M10_PG_BIN_DIR });
      output().result(result, () =>
        keyValues({
          file: result.file,
          scratch_database: result.scratch_database,
          toc_entries: result.toc_entries,
          outbox_rows: result.outbox_rows,
          dropped: result.dropped,
          restore_warnings: result.restore_warnings.length,
        }),
      );
    });
}
