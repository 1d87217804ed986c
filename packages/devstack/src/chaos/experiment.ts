import type pg from "pg";
import type { ChaosConfig } from "./config.js";
import type { FaultTarget } from "./fault-target.js";
import type { ExperimentReport } from "./report.js";

export interface ExperimentContext {
  config: ChaosConfig;
  target: FaultTarget;
  report: ExperimentReport;
  db: pg.Pool;
}

export interface Experiment {
  /** The script's name without `.sh`, e.g. redis_disconnect. */
  name: string;
  /** One line for --help and the report header. */
  summary: string;
  run(context: ExperimentContext): Promise<void>;
}
