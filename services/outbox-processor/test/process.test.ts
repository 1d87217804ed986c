import { createTestDatabase, startService, testStack } from "@m10/devstack/testing";
import { describe, expect, it } from "vitest";

describe("m10-outbox-processor process", () => {
  it("serves /health and exits 0 on SIGTERM", async () => {
    const db = await createTestDatabase();
    const service = await startService("services/outbox-processor/bin/m10-outbox-processor.js", {
      DATABASE_URL: db.url,
      REDIS_URL: testStack().redisUrl,
      NATS_URL: testStack().natsUrl,
    });
    const health = await fetch(`${service.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: "ok" });
    expect(await service.stop("SIGTERM")).toBe(0);
    await db.drop();
  });
});
