import { describe, expect, it } from "vitest";
import { isPortFree } from "../src/index.js";
import { processesMentioning, startMakeUp } from "./support/make-up.js";

describe("m10-devstack up (make up)", () => {
  it("starts the servers and the five services, writes stack.env, and Ctrl-C leaves no process behind", async () => {
    const up = await startMakeUp();
    try {
      const { env } = up;
      for (const key of ["DATABASE_URL", "REDIS_URL", "NATS_URL", "INGEST_URL", "CLAIM_WORKER_URL", "OUTBOX_PROCESSOR_URL", "ORCHESTRATOR_URL", "METRICS_COLLECTOR_URL", "M10_ADMIN_TOKEN", "M10_MACHINE_TOKEN"]) {
        expect(env[key], key).toBeTruthy();
      }
      for (const key of ["INGEST_URL", "CLAIM_WORKER_URL", "OUTBOX_PROCESSOR_URL", "ORCHESTRATOR_URL", "METRICS_COLLECTOR_URL"]) {
        const response = await fetch(`${env[key]}/health`);
        expect(response.status, key).toBe(200);
      }
      const ingestPort = Number(new URL(env.INGEST_URL ?? "").port);

      expect(await up.stop()).toBe(0);
      expect(processesMentioning(up.dir)).toEqual([]);
      expect(await isPortFree(ingestPort)).toBe(true);
    } finally {
      await up.stop();
    }
  }, 180_000);
});
