// The ingest process and request bodies the ingest and pipeline benchmarks share.
import { randomUUID } from "node:crypto";
import { startService, type RunningService } from "@m10/devstack/service-process";
import type { BenchStack } from "./stack.js";

export const TOKEN = "bench-admin-token-0123456789abcdef";
const ERROR_TYPES = ["TIMEOUT", "RATE_LIMITED", "HTTP_503", "CONNECTION_ERROR", "BUDGET_EXCEEDED"];

/** One single-ingest body: a fresh failure_match_id, five error types, 97 distinct messages. */
export function failure(i: number) {
  return {
    failure_match_id: randomUUID(),
    failure_payload: { error_type: ERROR_TYPES[i % ERROR_TYPES.length], raw: `upstream call ${i % 97} timed out after 30s` },
    source: "bench",
  };
}

/** An ingest process with production settings and no rate limit on the stack. */
export function startIngest(env: BenchStack): Promise<RunningService> {
  return startService("services/ingest/bin/m10-ingest.js", {
    DATABASE_URL: env.databaseUrl,
    REDIS_URL: env.redisUrl,
    NATS_URL: env.natsUrl,
    LOG_LEVEL: "warn",
    M10_ADMIN_TOKEN: TOKEN,
    M10_DB_POOL_MAX: "20",
    M10_RATE_LIMIT_INGEST_MAX: "1000000000",
    // The production memory settings (services/ingest/Dockerfile and systemd unit); extra flags
    // (e.g. --cpu-prof) for the ingest process only via M10_BENCH_INGEST_NODE_OPTIONS.
    NODE_OPTIONS: `--max-semi-space-size=4 --max-old-space-size=512 ${process.env.M10_BENCH_INGEST_NODE_OPTIONS ?? ""}`.trim(),
    MALLOC_ARENA_MAX: "2",
  });
}
