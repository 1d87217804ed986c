// Worker processes (the built bin) for end-to-end and chaos tests.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { startService, streamKeysEnv, type RunningService } from "@m10/devstack/testing";
import type { StreamKeys } from "@m10/shared";

export const WORKER_BIN = "services/claim-worker/bin/m10-claim-worker.js";

/** Fast settings for tests: short blocks, idle times, leases and polls. */
export const FAST_ENV: Record<string, string> = {
  M10_BLOCK_MS: "200",
  M10_RECLAIM_INTERVAL_MS: "200",
  M10_CLAIM_IDLE_MS: "2000",
  M10_EVALUATION_LEASE_MS: "1000",
  RECOVERY_WORKER_POLL_INTERVAL: "0.2",
  M10_SHUTDOWN_TIMEOUT_MS: "10000",
};

export function startWorker(env: { databaseUrl: string; redisUrl: string; keys: StreamKeys; extra?: Record<string, string> }, args: string[] = []): Promise<RunningService> {
  return startService(
    WORKER_BIN,
    { DATABASE_URL: env.databaseUrl, REDIS_URL: env.redisUrl, ...streamKeysEnv(env.keys), ...FAST_ENV, ...env.extra },
    args,
  );
}

/** Runs `m10-claim-worker --once` to completion; resolves with its exit code and output. */
export function runOnce(env: { databaseUrl: string; redisUrl: string; keys: StreamKeys; extra?: Record<string, string> }): Promise<{ code: number | null; output: string }> {
  const bin = join(import.meta.dirname, "..", "..", "bin", "m10-claim-worker.js");
  const child = spawn(process.execPath, [bin, "--once"], {
    env: { ...process.env, DATABASE_URL: env.databaseUrl, REDIS_URL: env.redisUrl, M10_HEALTH_PORT: "0", ...streamKeysEnv(env.keys), ...FAST_ENV, ...env.extra },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  return new Promise((resolve) => child.once("exit", (code) => resolve({ code, output })));
}
