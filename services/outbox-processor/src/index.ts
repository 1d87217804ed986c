// @m10/outbox-processor as a library: in-process processors (tests, benchmarks).
export { createProcessor, type Processor, type ProcessorDeps, type ProcessorTotals } from "./processor.js";
