import { createTestDatabase, testStack, type TestDatabase, createHttpSink, type HttpSink } from "@m10/devstack/testing";
import { createLogger, createMetrics, createRedisClient, holderId, parseEnv, orchestratorConfigSchema, type Pool } from "@m10/shared";
import { createDeliveryEngine, deliverySettings } from "../src/engine.js";
import { loadRoutingConfig } from "../src/routing.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { insertEvents, outboxRows, testPool, webhookRouting } from "../src/testing.js";

// The orchestrator's outbox_process task runs one batch through the same engine (a service may
// not import another service, so the engine lives in @m10/shared/delivery).
describe("the shared delivery engine", () => {
  let db: TestDatabase;
  let pool: Pool;
  let sink: HttpSink;

  beforeEach(async () => {
    db = await createTestDatabase();
    pool = testPool(db.url);
    sink = await createHttpSink();
  });
  afterEach(async () => {
    await sink.close();
    await pool.end();
    await db.drop();
  });

  it("runs one batch with the orchestrator's metrics and configuration", async () => {
    await insertEvents(pool, 4, "recovery.suggested");
    const env = {
      DATABASE_URL: db.url,
      OUTBOX_ROUTES_JSON: JSON.stringify(webhookRouting(sink.url)),
      OUTBOX_BACKOFF_BASE_SECONDS: "1",
    };
    const config = parseEnv(orchestratorConfigSchema, env);
    const { registry, metrics } = createMetrics("orchestrator", { defaultMetrics: false });
    const redis = createRedisClient(testStack().redisUrl);
    const engine = createDeliveryEngine({
      pool,
      redis,
      nats: undefined,
      logger: createLogger("orchestrator-test", "silent"),
      metrics,
      routing: loadRoutingConfig(config),
      settings: deliverySettings(config),
      processorId: holderId("orchestrator"),
    });
    try {
      await engine.start();
      expect(await engine.runBatch({ batchSize: 10, concurrency: 4 })).toMatchObject({ claimed: 4, delivered: 4, failed: 0 });
    } finally {
      await engine.close();
      redis.disconnect();
    }
    expect((await outboxRows(pool)).every((r) => r.processed_by === engine.processorId)).toBe(true);
    expect(await registry.getSingleMetricAsString("m10_outbox_processed_total")).toContain("} 4");
    expect(deliverySettings(config)).toMatchObject({ leaseSeconds: 300, maxRetries: 5, backoff: { baseSeconds: 1, maxSeconds: 3600 } });
  });
});
