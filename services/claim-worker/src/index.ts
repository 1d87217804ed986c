// @m10/claim-worker as a library: the worker core, for the benchmark and tests.
export { createWorker, type StopReport, type Totals, type Worker, type WorkerDeps, type WorkerOptions, type WorkerStatus } from "./worker.js";
export type { EvaluationBatchReport } from "./batch-processor.js";
export { resolveSettings, type ServiceSettings } from "./settings.js";
export { buildCli, parseCli, type CliOptions } from "./cli.js";
