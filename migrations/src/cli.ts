// m10-migrate: the schema migrations for `make migrate` and scripts. `m10ctl migrate` is the operators' form.
import { createRequire } from "node:module";
import { migrateDown, migrateTo, migrateUp, migrationStatus } from "./index.js";

// The release version (packages are versioned together) and the revision M10_REVISION names.
const { version } = createRequire(import.meta.url)("../package.json") as { version: string };

const usage = `Usage: m10-migrate <command>   (DATABASE_URL names the database)

Commands:
  up              apply every pending migration
  down [N]        revert the last N migrations (default 1; "all" for every one)
  to <revision>   migrate up or down to a revision (e.g. 021 or 021_m10_durable_queue_fallback; 0 = empty)
  status          list migrations and whether each is applied
  --version       print the version, source revision and Node version

Example:
  DATABASE_URL=postgres://postgres@127.0.0.1:5433/m10 m10-migrate up`;

async function main(argv: string[]): Promise<number> {
  const [command, argument] = argv;
  if (!command || command === "--help" || command === "-h") {
    console.log(usage);
    return command ? 0 : 2;
  }
  if (command === "--version" || command === "-V") {
    console.log(`m10-migrate ${version} (revision ${process.env.M10_REVISION?.trim() || "unknown"}, node ${process.version})`);
    return 0;
  }
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    console.error("m10-migrate: DATABASE_URL is not set (source .m10/stack.env after `make up`, or export it).");
    return 2;
  }
  const log = (message: string) => console.error(message);
  switch (command) {
    case "up": {
      const names = await migrateUp(databaseUrl, Infinity, log);
      console.log(names.length ? `applied: ${names.join(", ")}` : "schema is up to date");
      return 0;
    }
    case "down": {
      const count = argument === "all" ? Infinity : Number(argument ?? 1);
      if (!Number.isInteger(count) && count !== Infinity) {
        console.error(`m10-migrate: down takes a whole number or "all", not "${argument}"`);
        return 2;
      }
      const names = await migrateDown(databaseUrl, count, log);
      console.log(names.length ? `reverted: ${names.join(", ")}` : "nothing to revert");
      return 0;
    }
    case "to": {
      if (!argument) {
        console.error("m10-migrate: `to` needs a revision");
        return 2;
      }
      const result = await migrateTo(databaseUrl, argument, log);
      console.log(result.direction === "none" ? `already at ${argument}` : `${result.direction}: ${result.names.join(", ")}`);
      return 0;
    }
    case "status": {
      for (const state of await migrationStatus(databaseUrl)) {
        console.log(`${state.applied ? "applied" : "pending"}  ${state.name}${state.runOn ? `  (${state.runOn.toISOString()})` : ""}`);
      }
      return 0;
    }
    default:
      console.error(`m10-migrate: unknown command "${command}"\n\n${usage}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`m10-migrate: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
