import { parseEnv, claimWorkerConfigSchema } from "@m10/shared";
import { describe, expect, it } from "vitest";
import { WorkerSettingsError } from "../src/errors.js";
import { resolveSettings } from "../src/settings.js";

const config = (env: Record<string, string> = {}) => parseEnv(claimWorkerConfigSchema, { DATABASE_URL: "postgres://x@localhost/db", ...env });
const noFlags = { once: false, debug: false };

describe("worker settings", () => {
  it("takes the environment's defaults (the runbook's table) when no flag is given", () => {
    const settings = resolveSettings(config(), noFlags);
    expect(settings.worker).toMatchObject({
      batchSize: 250,
      concurrency: 2,
      pollIntervalMs: 5_000,
      useStream: true,
      claimIdleMs: 60_000,
      maxReclaimAttempts: 3,
      leaseMs: 30_000,
      autoExecuteMinConfidence: 0.8,
    });
    expect(settings.redisUrl).toBe("redis://localhost:6379/0");
    expect(settings.drainDeadlineMs).toBe(22_000);
    expect(settings.warnings).toEqual([]);
  });

  it("lets flags override the environment", () => {
    const settings = resolveSettings(config({ RECOVERY_WORKER_BATCH_SIZE: "10" }), { ...noFlags, batchSize: 250, pollInterval: 0.5, concurrency: 8, useStream: false, debug: true });
    expect(settings.worker).toMatchObject({ batchSize: 250, pollIntervalMs: 500, concurrency: 8, useStream: false });
    expect(settings.redisUrl).toBeUndefined();
    expect(settings.logLevel).toBe("debug");
  });

  it("runs on the DB queue alone when REDIS_URL is empty, and refuses an explicit --use-stream then", () => {
    expect(resolveSettings(config({ REDIS_URL: "" }), noFlags).worker.useStream).toBe(false);
    expect(() => resolveSettings(config({ REDIS_URL: "" }), { ...noFlags, useStream: true })).toThrow(WorkerSettingsError);
  });

  it("warns when the evaluation lease outlasts the reclaim idle time", () => {
    const settings = resolveSettings(config({ M10_CLAIM_IDLE_MS: "1000", M10_EVALUATION_LEASE_MS: "5000" }), noFlags);
    expect(settings.warnings[0]).toMatch(/M10_EVALUATION_LEASE_MS/);
  });
});
