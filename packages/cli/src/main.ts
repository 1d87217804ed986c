// m10ctl: the operators' CLI.
import { CommanderError } from "commander";
import { CommandError } from "./output.js";
import { buildProgram } from "./program.js";

const program = buildProgram().exitOverride();
try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode;
  } else {
    const json = process.argv.includes("--json");
    const message = error instanceof Error ? error.message : String(error);
    if (json) process.stdout.write(`${JSON.stringify({ error: message }, null, 2)}\n`);
    process.stderr.write(`m10ctl: ${message}\n`);
    process.exitCode = error instanceof CommandError ? error.exitCode : 1;
  }
}
