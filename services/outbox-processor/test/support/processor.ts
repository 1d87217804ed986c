import { testEngineDeps, type TestEngineOptions } from "@m10/delivery/testing";
import type { M10Metrics } from "@m10/shared";
import { createProcessor, type Processor } from "../../src/processor.js";

/** The service's processor (engine + polling loop) in-process, with its own metrics registry. */
export function testProcessor(options: TestEngineOptions): Processor & { metrics: M10Metrics<"outbox-processor"> } {
  const { metrics, deps } = testEngineDeps(options);
  const processor = createProcessor({ ...deps, batchSize: options.batchSize ?? 50, concurrency: options.concurrency ?? 10, pollIntervalMs: 50 });
  return Object.assign(processor, { metrics });
}
