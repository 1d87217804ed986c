// Issues 4 and 13's benchmark: drain a pre-filled backlog of 100,000 candidates with 1, 2 and 3
// claim-worker processes; evaluations per second, p99 per-batch time (from the workers' own
// batch.done reports) and the throughput of 3 workers against 1.
import { startService, waitUntil, type RunningService } from "@m10/devstack/service-process";
import { streamFields, streamKeysFromEnv } from "@m10/shared";
import { Redis } from "ioredis";
import pg from "pg";
import { freshStack, type BenchStack } from "./stack.js";
import { percentile, round } from "./stats.js";

const BACKLOG = 100_000;
const ERROR_TYPES = ["TIMEOUT", "RATE_LIMITED", "HTTP_503", "CONNECTION_ERROR", "BUDGET_EXCEEDED", "PERMISSION_DENIED", "FOO"];

/**
 * Fills the backlog the way ingest leaves it: candidates committed with the pending-evaluation
 * defaults, and one stream entry each (fields as docs/architecture.md §4.5).
 */
async function prefill(env: BenchStack, pool: pg.Pool): Promise<void> {
  const { rows } = await pool.query<{ id: number }>(
    `INSERT INTO recovery_candidates (failure_match_id, suggestion, confidence, explain, created_by, error_code, error_signature, source)
     SELECT gen_random_uuid(), 'Review error and retry', 0.2,
            jsonb_build_object('method', 'pending_evaluation', 'error_message', 'call ' || (g % 101) || ' failed'),
            'ingest_api', (ARRAY[${ERROR_TYPES.map((e) => `'${e}'`).join(",")}])[1 + g % ${ERROR_TYPES.length}],
            substr(md5((g % 101)::text), 1, 16), 'bench'
       FROM generate_series(1, $1) g
     RETURNING id`,
    [BACKLOG],
  );
  // The stream the workers read: their key configuration from the environment they inherit.
  const { stream } = streamKeysFromEnv({ ...process.env, REDIS_URL: env.redisUrl });
  const redis = new Redis(env.redisUrl, { protocol: 2 });
  try {
    for (let i = 0; i < rows.length; i += 5_000) {
      const pipeline = redis.pipeline();
      for (const row of rows.slice(i, i + 5_000)) pipeline.xadd(stream, "*", ...streamFields({ candidateId: row.id }));
      await pipeline.exec();
    }
  } finally {
    redis.disconnect();
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
  // An idle client's error (a server shutting down) must not end the benchmark process.
  pool.on("error", (error) => console.error(`[bench] idle database connection: ${error.message}`));
  const running: RunningService[] = [];
  try {
    await prefill(env, pool);
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
    await waitUntil(
      "the backlog drained (15 minutes at most)",
      async () => {
        const { rows } = await pool.query<{ left: number }>("SELECT count(*)::int AS left FROM recovery_candidates WHERE evaluated_at IS NULL");
        return (rows[0]?.left ?? 1) === 0;
      },
      { timeoutMs: 900_000 - (Date.now() - started), intervalMs: 250 },
    );
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
  const three = await drain(3);
  return {
    backlog: BACKLOG,
    one_worker: one,
    two_workers: two,
    three_workers: three,
    // All the workers share this machine's cores and one PostgreSQL: a floor for workers on hosts of their own.
    three_vs_one: round((three.evaluations_per_second ?? 0) / (one.evaluations_per_second ?? 1)),
    targets: { evaluations_per_second_min_one_worker: 3000 },
  };
}
