// m10ctl: the operators' CLI.
import { CommanderError } from "commander";
import { closeContext } from "./context.js";
import { CommandError, EXIT_USAGE } from "./output.js";
import { buildProgram } from "./program.js";

const program = buildProgram();
try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Help and version print and exit 0; anything else commander rejects is a usage error.
    process.exitCode = error.exitCode === 0 ? 0 : EXIT_USAGE;
    if (error.exitCode !== 0 && process.argv.includes("--json")) process.stdout.write(`${JSON.stringify({ error: error.message }, null, 2)}\n`);
  } else {
    const json = process.argv.includes("--json");
    const message = error instanceof Error ? error.message : String(error);
    if (json) process.stdout.write(`${JSON.stringify({ error: message }, null, 2)}\n`);
    process.stderr.write(`m10ctl: ${message}\n`);
    process.exitCode = error instanceof CommandError ? error.exitCode : 1;
  }
} finally {
  await closeContext();
}
