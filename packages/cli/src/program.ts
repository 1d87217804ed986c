import { Command } from "commander";
import { registerMigrate } from "./commands/migrate.js";
import { createOutput, type Output } from "./output.js";

/** m10ctl's command tree. Each command group registers itself from commands/. */
export function buildProgram(): Command {
  const program = new Command("m10ctl")
    .description("M10 operator CLI: migrations, dead letters, locks, outbox, queues, maintenance")
    .option("--json", "print one JSON document on stdout (logs go to stderr)", false)
    .showHelpAfterError()
    .addHelpText("after", "\nEnvironment: DATABASE_URL, REDIS_URL (source .m10/stack.env after `make up`).");
  const output = (): Output => createOutput(Boolean(program.opts<{ json: boolean }>().json));
  registerMigrate(program, output);
  return program;
}
