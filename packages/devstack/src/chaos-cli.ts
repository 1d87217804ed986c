// m10-chaos: the TypeScript side of scripts/chaos/*.sh. The scripts check CHAOS_ALLOWED and
// source the stack's environment; this runs the experiment and prints what it did, what it
// observed and PASS/FAIL with the recovery time. Exit 0 PASS, 1 FAIL, 2 usage or configuration.
import { CHAOS_VARIABLES, ChaosConfigError, readChaosConfig } from "./chaos/config.js";
import { EXPERIMENTS } from "./chaos/experiments/index.js";
import { runExperiment } from "./chaos/run.js";

const usage = [
  "Usage: m10-chaos <experiment>    (normally through scripts/chaos/<experiment>.sh)",
  "",
  "Experiments:",
  ...EXPERIMENTS.map((e) => `  ${e.name.padEnd(26)} ${e.summary}`),
  "",
  "Environment:",
  ...CHAOS_VARIABLES.map(([name, text]) => `  ${name}\n      ${text}`),
].join("\n");

const [name, ...rest] = process.argv.slice(2);
const experiment = EXPERIMENTS.find((e) => e.name === name);
if (!experiment || rest.length > 0) {
  console.log(usage);
  process.exit(name === "--help" || name === "-h" ? 0 : 2);
}
if (process.env.CHAOS_ALLOWED !== "true") {
  console.log("ERROR: CHAOS_ALLOWED not set. Aborting.");
  process.exit(1);
}
try {
  process.exitCode = (await runExperiment(experiment, readChaosConfig())) ? 0 : 1;
} catch (error) {
  if (!(error instanceof ChaosConfigError)) throw error;
  console.error(error.message);
  process.exitCode = 2;
}
