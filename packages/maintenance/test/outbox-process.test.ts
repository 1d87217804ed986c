// outbox_process: one batch through the delivery engine, to a webhook receiver of the test's own.
import { insertEvents, outboxRows } from "@m10/delivery/testing";
import { createHttpSink } from "@m10/devstack/testing";
import { createMetrics } from "@m10/shared";
import { describe, expect, it } from "vitest";
import { createOutboxTask } from "../src/outbox-process.js";
import { realRun, useMaintenanceEnvironment } from "./support/environment.js";

const environment = useMaintenanceEnvironment();

describe("outbox_process", () => {
  it("delivers one batch of due outbox events through the delivery engine", async () => {
    const { db, redis, logger } = environment;
    const sink = await createHttpSink();
    const { metrics } = createMetrics("orchestrator", { defaultMetrics: false });
    // No OUTBOX_ROUTES_*: the default routing the orchestrator starts with, where http:webhook is
    // payload-addressed (opt-in, and the sink on 127.0.0.1 needs an explicit loopback allowance).
    const config = environment.config({ OUTBOX_PAYLOAD_ADDRESSING_ENABLED: "true", OUTBOX_PAYLOAD_ALLOWED_HOSTS: "127.0.0.1", OUTBOX_PAYLOAD_ALLOWED_PRIVATE: "127.0.0.1" });
    const outbox = createOutboxTask({ pool: db, redis, config, logger, metrics, processorId: "maintenance-test" });
    try {
      const [published] = await insertEvents(db, 1, "http:webhook", () => ({ url: `${sink.url}/hook`, body: { hello: "world" } }));

      expect(await outbox.run(realRun())).toMatchObject({ due: 1, claimed: 1, delivered: 1 });

      expect(sink.requests).toHaveLength(1);
      expect(JSON.parse(sink.requests[0]!.body)).toEqual({ hello: "world" });
      const row = (await outboxRows(db)).find((r) => r.id === published);
      expect(row?.processed_at).toBeInstanceOf(Date);
    } finally {
      await outbox.close();
      await sink.close();
    }
  });
});
