// Issue 4's benchmark: drain a pre-filled backlog of 100,000 candidates with 1 and with 2
// claim-worker processes; evaluations per second and p99 per-batch time (from the workers' own
// batch.done reports).
import { randomUUID } from "node:crypto";
import { startService, type RunningService } from "@m10/devstack/service-process";
import pg from "pg";
import { freshStack, type BenchStack } from "./stack.js";
import { percentile, round } from "./stats.js";

const BACKLOG = 100_000;
const TOKEN = "bench-admin-token-0123456789abcdef";
const ERROR_TYPES = ["TIMEOUT", "RATE_LIMITED", "HTTP_503", "CONNECTION_ERROR", "BUDGET_EXCEEDED", "PERMISSION_DENIED", "FOO"];

/** Fills the backlog through the real ingest API (batch route), so rows and stream entries have production shape. */
async function prefill(env: BenchStack): Promise<void> {
  const ingest = await startService("services/ingest/bin/m10-ingest.js", {
    DATABASE_URL: env.databaseUrl,
    REDIS_URL: env.redisUrl,
    LOG_LEVEL: "warn",
    M10_ADMIN_TOKEN: TOKEN,
    M10_RATE_LIMIT_INGEST_MAX: "1000000000",
  });
  try {
    for (let sent = 0; sent < BACKLOG; sent += 500) {
      const items = Array.from({ length: 500 }, (_, i) => ({
        failure_match_id: randomUUID(),
        failure_payload: { error_type: ERROR_TYPES[(sent + i) % ERROR_TYPES.length], raw: `call ${(sent + i) % 101} failed` },
        source: "bench",
      }));
      const response = await fetch(`${ingest.url}/api/v1/recovery/ingest/batch`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify({ items }),
      });
      if (!response.ok) throw new Error(`prefill batch failed: ${response.status} ${await response.text()}`);
    }
  } finally {
    await ingest.stop("SIGTERM");
  }
}

function batchDurations(output: string): number[] {
  const durations: number[] = [];
  for (const line of output.split("\n")) {
    if (!line.includes('"batch.done"')) continue;
    try {
      const entry = JSON.parse(line) as { durationMs?: number; evaluated?: number };
      if (typeof entry.durationMs === "number" && (entry.evaluated ?? 0) > 0) durations.push(entry.durationMs);
    } catch {
      // not a log line
    }
  }
  return durations;
}

async function drain(workers: number): Promise<Record<string, number>> {
  const env = await freshStack();
  const pool = new pg.Pool({ connectionString: env.databaseUrl, max: 2 });
  const running: RunningService[] = [];
  try {
    await prefill(env);
    const started = Date.now();
    for (let i = 0; i < workers; i++) {
      running.push(
        await startService("services/claim-worker/bin/m10-claim-worker.js", {
          DATABASE_URL: env.databaseUrl,
          REDIS_URL: env.redisUrl,
          LOG_LEVEL: "debug",
        }),
      );
    }
    for (;;) {
      const { rows } = await pool.query<{ left: number }>("SELECT count(*)::int AS left FROM recovery_candidates WHERE evaluated_at IS NULL");
      if ((rows[0]?.left ?? 1) === 0) break;
      if (Date.now() - started > 900_000) throw new Error("backlog not drained within 15 minutes");
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const { rows } = await pool.query<{ first: Date; last: Date; n: number }>(
      "SELECT min(evaluated_at) AS first, max(evaluated_at) AS last, count(*)::int AS n FROM recovery_candidates",
    );
    const wall = (Date.now() - started) / 1000;
    const durations = running.flatMap((service) => batchDurations(service.output()));
    const span = rows[0] ? (rows[0].last.getTime() - rows[0].first.getTime()) / 1000 : wall;
    return {
      workers,
      candidates: rows[0]?.n ?? 0,
      evaluations_per_second: round(BACKLOG / span),
      wall_seconds_including_startup: round(wall),
      batches: durations.length,
      batch_ms_p50: round(percentile(durations, 50)),
      batch_ms_p99: round(percentile(durations, 99)),
    };
  } finally {
    await Promise.all(running.map((service) => service.stop("SIGTERM")));
    await pool.end();
    await env.close();
  }
}

export async function workerBench(): Promise<Record<string, unknown>> {
  const one = await drain(1);
  const two = await drain(2);
  return { backlog: BACKLOG, one_worker: one, two_workers: two, targets: { evaluations_per_second_min_one_worker: 3000 } };
}
