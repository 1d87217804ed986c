import { startService, testStack, type RunningService } from "@m10/devstack/testing";
import { testEngineDeps, type TestEngineOptions } from "@m10/delivery/testing";
import type { M10Metrics } from "@m10/shared";
import { createProcessor, type Processor } from "../../src/processor.js";

export const PROCESSOR_BIN = "services/outbox-processor/bin/m10-outbox-processor.js";

/** The service's processor (engine + lanes) in-process, with its own metrics registry; one lane unless `maxInFlight` says more. */
export function testProcessor(options: TestEngineOptions & { maxInFlight?: number }): Processor & { metrics: M10Metrics<"outbox-processor"> } {
  const { metrics, deps } = testEngineDeps(options);
  const batchSize = options.batchSize ?? 50;
  const processor = createProcessor({ ...deps, batchSize, concurrency: options.concurrency ?? 10, pollIntervalMs: 50, maxInFlight: options.maxInFlight ?? batchSize });
  return Object.assign(processor, { metrics });
}

/** What the built processor needs to reach the test database and the test stack's Redis and NATS. */
export function processorEnv(databaseUrl: string): Record<string, string> {
  return { DATABASE_URL: databaseUrl, REDIS_URL: testStack().redisUrl, NATS_URL: testStack().natsUrl };
}

/** The built m10-outbox-processor as a real process on the test database, with `env` added. */
export function startProcessor(databaseUrl: string, env: Record<string, string>): Promise<RunningService> {
  return startService(PROCESSOR_BIN, { ...processorEnv(databaseUrl), ...env });
}
