// Runs one experiment against the configured stack and prints its report; true when it passed.
import pg from "pg";
import type { ChaosConfig } from "./config.js";
import type { Experiment } from "./experiment.js";
import { faultTarget } from "./fault-target.js";
import { ExperimentReport } from "./report.js";

export async function runExperiment(experiment: Experiment, config: ChaosConfig): Promise<boolean> {
  const target = faultTarget(config);
  const report = new ExperimentReport(experiment.name);
  report.header(`${experiment.summary}; against the ${target.describe}`);
  const db = new pg.Pool({ connectionString: config.databaseUrl, max: 2, connectionTimeoutMillis: 5_000, application_name: "m10-chaos" });
  // PostgreSQL restarts are among the faults: an idle connection it ends is expected, not fatal.
  db.on("error", () => undefined);
  let failure: unknown;
  try {
    await experiment.run({ config, target, report, db });
  } catch (error) {
    failure = error;
  } finally {
    await db.end().catch(() => undefined);
  }
  return report.finish(config.recoveryTargetSeconds, failure);
}
