import { formatEnvDocs, versionText } from "@m10/shared";
import { Command } from "commander";
import { registerDb } from "./commands/db.js";
import { registerDlq } from "./commands/dlq.js";
import { registerHealth } from "./commands/health.js";
import { registerLocks } from "./commands/locks.js";
import { registerMatview } from "./commands/matview.js";
import { registerMigrate } from "./commands/migrate.js";
import { registerOutbox } from "./commands/outbox.js";
import { registerPins } from "./commands/pins.js";
import { registerQueue } from "./commands/queue.js";
import { registerRedis } from "./commands/redis.js";
import { registerRetention } from "./commands/retention.js";
import { m10ctlConfigSchema } from "./config.js";
import { createOutput, type Output } from "./output.js";

/** m10ctl's command tree. Each command group registers itself from commands/. */
export function buildProgram(): Command {
  const program = new Command("m10ctl")
    .version(versionText("m10ctl"), "-V, --version", "print the version, source revision and Node version, and exit")
    .description("M10 operator CLI: dead letters, locks, outbox, queues, matviews, retention, Redis, health, migrations, snapshots, memory pin seeding")
    .option("--json", "print one JSON document on stdout (logs go to stderr); accepted before or after the command", false)
    .showHelpAfterError()
    // Before the commands are added, so that they inherit it: main maps commander's exits to codes.
    .exitOverride()
    .addHelpText(
      "after",
      `
Exit codes: 0 done, 1 failed or refused (or a check did not pass), 2 usage or configuration error,
3 the lock of the job is held by another holder (e.g. the orchestrator): try again later.

Examples:
  m10ctl health
  m10ctl queue status --json
  m10ctl dlq report --hours 24
  m10ctl retention --dry-run
  m10ctl redis check
  m10ctl pins seed --file docs/runbooks/pins.seed.json --base "$INGEST_URL"

Environment (source .m10/stack.env after \`make up\`):
${formatEnvDocs(m10ctlConfigSchema)}`,
    );
  const output = (): Output => createOutput(Boolean(program.opts<{ json: boolean }>().json));
  registerDlq(program, output);
  registerLocks(program, output);
  registerOutbox(program, output);
  registerQueue(program, output);
  registerMatview(program, output);
  registerRetention(program, output);
  registerRedis(program, output);
  registerHealth(program, output);
  registerMigrate(program, output);
  registerDb(program, output);
  registerPins(program, output);
  return program;
}
