// m10-devstack: `up` runs the local stack for `make up`.
import { up } from "./up.js";

const usage = `Usage: m10-devstack up [--dir .m10]

Starts PostgreSQL (5433), Redis (6379) and NATS with JetStream (4222) from this machine's binaries,
each on a free port when its default is taken, keeps their data under --dir, migrates the database,
starts the five M10 services, writes <dir>/stack.env and waits; Ctrl-C stops everything.`;

const [command, ...rest] = process.argv.slice(2);
if (command !== "up") {
  console.log(usage);
  process.exit(command === "--help" || command === "-h" ? 0 : 2);
}
const dirIndex = rest.indexOf("--dir");
const dir = dirIndex >= 0 ? rest[dirIndex + 1] ?? ".m10" : ".m10";
process.exitCode = await up(dir);
