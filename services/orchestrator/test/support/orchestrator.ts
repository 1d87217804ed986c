// Runs the built m10-orchestrator as a real process, as systemd or compose would, against a
// database of the test file's own and the shared test Redis.
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { openTestDatabase, streamKeysEnv, testStack, uniqueStreamKeys, useEnvironment, type TestDatabase } from "@m10/devstack/testing";
import type { TaskResult } from "@m10/maintenance";
import { createRedisClient, type RedisClient } from "@m10/shared";
import pg from "pg";

const BIN = fileURLToPath(new URL("../../bin/m10-orchestrator.js", import.meta.url));
const CLAIM_WORKER_BIN = fileURLToPath(new URL("../../../claim-worker/bin/m10-claim-worker.js", import.meta.url));

export interface Report {
  timestamp: string;
  dry_run: boolean;
  holder: string;
  durations: Record<string, number>;
  tasks: TaskResult[];
  all_success: boolean;
}

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Running {
  child: ChildProcess;
  done: Promise<Finished>;
  stderr(): string;
}

export interface ProcessEnvironment {
  database: TestDatabase;
  /** For preparing state and looking at what the process left behind. */
  db: pg.Pool;
  redis: RedisClient;
}

/** Set up once per file; the fields are filled once the file's beforeAll has run. */
export function useProcessEnvironment(): ProcessEnvironment {
  return useEnvironment(async (defer) => {
    const { db: database, pool: db } = await openTestDatabase(defer, (url) => new pg.Pool({ connectionString: url, max: 4 }));
    const redis = createRedisClient(testStack().redisUrl, { enableOfflineQueue: true });
    defer(() => redis.disconnect());
    return { database, db, redis };
  });
}

/** Stream keys of the test's own, as the environment variables that point the process at them. */
export function uniqueKeys(): ReturnType<typeof streamKeysEnv> {
  return streamKeysEnv(uniqueStreamKeys());
}

export function baseEnv(databaseUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    REDIS_URL: testStack().redisUrl,
    NATS_URL: testStack().natsUrl,
    LOG_LEVEL: "warn",
    ...extra,
  };
}

export function spawnOrchestrator(args: string[], env: Record<string, string>): Running {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const done = new Promise<Finished>((resolve) => child.once("close", (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done, stderr: () => stderr };
}

export async function runOrchestrator(args: string[], env: Record<string, string>): Promise<Finished & { report: Report }> {
  const finished = await spawnOrchestrator(["--json", ...args], env).done;
  let report: Report;
  try {
    report = JSON.parse(finished.stdout) as Report;
  } catch {
    throw new Error(`no JSON report (exit ${finished.code}):\nstdout: ${finished.stdout}\nstderr: ${finished.stderr}`);
  }
  return { ...finished, report };
}

export function task(report: Report, name: string): TaskResult {
  const found = report.tasks.find((t) => t.name === name);
  if (!found) throw new Error(`task ${name} not in report: ${JSON.stringify(report)}`);
  return found;
}

/** The claim-worker service, `--once`: evaluates what is queued now and exits. */
export function runClaimWorkerOnce(env: Record<string, string>): Promise<Finished> {
  const child = spawn(process.execPath, [CLAIM_WORKER_BIN, "--once"], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  return new Promise<Finished>((resolve) => child.once("close", (code, signal) => resolve({ code, signal, stdout, stderr })));
}
