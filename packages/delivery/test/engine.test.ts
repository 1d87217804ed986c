import { createLogger, createMetrics, holderId, parseEnv, orchestratorConfigSchema } from "@m10/shared";
import { createDeliveryEngine, deliverySettings } from "../src/engine.js";
import { loadRoutingConfig } from "../src/routing.js";
import { describe, expect, it } from "vitest";
import { insertEvents, outboxRows, useOutboxEnvironment, webhookRouting } from "../src/testing.js";

// The orchestrator's outbox_process task runs one batch through the same engine (a service may
// not import another service, so the engine lives in @m10/delivery).
describe("the shared delivery engine", () => {
  const t = useOutboxEnvironment({ redis: true });

  it("runs one batch with the orchestrator's metrics and configuration", async () => {
    await insertEvents(t.pool, 4, "recovery.suggested");
    const env = {
      DATABASE_URL: t.db.url,
      OUTBOX_ROUTES_JSON: JSON.stringify(webhookRouting(t.sink.url)),
      OUTBOX_BACKOFF_BASE_SECONDS: "1",
    };
    const config = parseEnv(orchestratorConfigSchema, env);
    const { registry, metrics } = createMetrics("orchestrator", { defaultMetrics: false });
    const engine = createDeliveryEngine({
      pool: t.pool,
      redis: t.redis,
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
    }
    expect((await outboxRows(t.pool)).every((r) => r.processed_by === engine.processorId)).toBe(true);
    expect(await registry.getSingleMetricAsString("m10_outbox_processed_total")).toContain("} 4");
    expect(deliverySettings(config)).toMatchObject({ leaseSeconds: 300, retryBudgetSeconds: 86_400, maxRetries: undefined, backoff: { baseSeconds: 1, maxSeconds: 1_800 } });
  });
});
