import { migrateDown, migrateTo, migrateUp, migrationStatus } from "@m10/migrations";
import type { Command } from "commander";
import { CommandError, type Output } from "../output.js";

function databaseUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!url) throw new CommandError("DATABASE_URL is not set (source .m10/stack.env after `make up`, or export it)", 2);
  return url;
}

const log = (message: string) => process.stderr.write(`${message}\n`);

export function registerMigrate(program: Command, output: () => Output): void {
  const migrate = program
    .command("migrate")
    .description("apply, revert and inspect schema migrations (DATABASE_URL)")
    .addHelpText(
      "after",
      `
Examples:
  m10ctl migrate status
  m10ctl migrate up
  m10ctl migrate down            # revert the last migration
  m10ctl migrate to 021          # up or down to 021_m10_durable_queue_fallback
  m10ctl migrate to 0 --json     # revert everything`,
    );

  migrate
    .command("up")
    .description("apply every pending migration")
    .action(async () => {
      const applied = await migrateUp(databaseUrl(), Infinity, log);
      output().result({ applied }, () => (applied.length ? `applied: ${applied.join(", ")}` : "schema is up to date"));
    });

  migrate
    .command("down")
    .description("revert the last N migrations")
    .argument("[count]", 'how many (a number, or "all")', "1")
    .action(async (count: string) => {
      const n = count === "all" ? Infinity : Number(count);
      if (n !== Infinity && (!Number.isInteger(n) || n < 1)) throw new CommandError(`count must be a positive whole number or "all", not "${count}"`, 2);
      const reverted = await migrateDown(databaseUrl(), n, log);
      output().result({ reverted }, () => (reverted.length ? `reverted: ${reverted.join(", ")}` : "nothing to revert"));
    });

  migrate
    .command("to")
    .description("migrate up or down to a revision (number prefix or full name; 0 = empty)")
    .argument("<revision>")
    .action(async (revision: string) => {
      const result = await migrateTo(databaseUrl(), revision, log).catch((error: Error) => {
        throw new CommandError(error.message, 2);
      });
      output().result(result, () => (result.direction === "none" ? `already at ${revision}` : `${result.direction}: ${result.names.join(", ")}`));
    });

  migrate
    .command("status")
    .description("list migrations and whether each is applied")
    .action(async () => {
      const states = await migrationStatus(databaseUrl());
      output().result({ migrations: states, pending: states.filter((s) => !s.applied).length }, () =>
        states.map((s) => `${s.applied ? "applied" : "pending"}  ${s.name}${s.runOn ? `  ${s.runOn.toISOString()}` : ""}`).join("\n"),
      );
    });
}
