// Issue 5's benchmark: events delivered per second to a local webhook sink with 1 and 4 processor
// processes, and commit-to-delivery latency at half the best rate.
import { startService, waitUntil, type RunningService } from "@m10/devstack/service-process";
import pg from "pg";
import { startSink, type Sink } from "./http-sink.js";
import { freshStack, type BenchStack } from "./stack.js";
import { percentile, round } from "./stats.js";

const BACKLOG = 20_000;

function processorEnv(env: BenchStack, sink: Sink): Record<string, string> {
  return {
    DATABASE_URL: env.databaseUrl,
    REDIS_URL: env.redisUrl,
    NATS_URL: env.natsUrl,
    LOG_LEVEL: "warn",
    OUTBOX_BATCH_SIZE: "200",
    OUTBOX_CONCURRENCY: "64",
    OUTBOX_POLL_INTERVAL: "0.02",
    OUTBOX_ROUTES_JSON: JSON.stringify({
      targets: { sink: { type: "webhook", url: sink.url, secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", rpm: 0 } },
      routes: { "*": ["sink"] },
    }),
  };
}

async function throughput(env: BenchStack, pool: pg.Pool, processes: number): Promise<Record<string, number>> {
  const sink = await startSink();
  await pool.query("TRUNCATE m10_recovery.outbox");
  await pool.query(
    `INSERT INTO m10_recovery.outbox (aggregate_type, aggregate_id, event_type, payload)
     SELECT 'bench', g::text, 'bench.event', jsonb_build_object('n', g, 'note', 'throughput') FROM generate_series(1, $1) g`,
    [BACKLOG],
  );
  const running: RunningService[] = [];
  try {
    const started = Date.now();
    for (let i = 0; i < processes; i++) running.push(await startService("services/outbox-processor/bin/m10-outbox-processor.js", processorEnv(env, sink)));
    await waitUntil(`all ${BACKLOG} events delivered`, () => sink.firstSeen.size >= BACKLOG, { timeoutMs: 300_000, intervalMs: 20 });
    const times = [...sink.firstSeen.values()];
    const first = Math.min(...times);
    const last = Math.max(...times);
    return {
      processes,
      events: BACKLOG,
      events_per_second: round(BACKLOG / ((last - first) / 1000)),
      wall_seconds_including_startup: round((last - started) / 1000),
      duplicate_deliveries: sink.duplicates,
    };
  } finally {
    await Promise.all(running.map((service) => service.stop("SIGTERM")));
    await sink.close();
  }
}

async function latency(env: BenchStack, pool: pg.Pool, rate: number, seconds: number): Promise<Record<string, number>> {
  const sink = await startSink();
  await pool.query("TRUNCATE m10_recovery.outbox");
  const running: RunningService[] = [];
  const committedAt = new Map<string, number>();
  try {
    for (let i = 0; i < 4; i++) running.push(await startService("services/outbox-processor/bin/m10-outbox-processor.js", processorEnv(env, sink)));
    const tickMs = 50;
    const perTick = Math.max(1, Math.round((rate * tickMs) / 1000));
    let n = 0;
    const end = Date.now() + seconds * 1000;
    while (Date.now() < end) {
      const tickStart = Date.now();
      const ids = Array.from({ length: perTick }, () => `l${n++}`);
      await pool.query(
        `INSERT INTO m10_recovery.outbox (aggregate_type, aggregate_id, event_type, payload)
         SELECT 'bench', id, 'bench.event', '{"note":"latency"}'::jsonb FROM unnest($1::text[]) id`,
        [ids],
      );
      const committed = Date.now();
      for (const id of ids) committedAt.set(id, committed);
      const spent = Date.now() - tickStart;
      if (spent < tickMs) await new Promise((resolve) => setTimeout(resolve, tickMs - spent));
    }
    await waitUntil("every committed event delivered", () => sink.byAggregate.size >= committedAt.size, { timeoutMs: 120_000, intervalMs: 20 });
    const latencies = [...committedAt].map(([id, at]) => (sink.byAggregate.get(id) ?? Number.NaN) - at);
    return {
      offered_events_per_second: rate,
      events: committedAt.size,
      latency_ms_p50: percentile(latencies, 50),
      latency_ms_p99: percentile(latencies, 99),
      latency_ms_max: Math.max(...latencies),
    };
  } finally {
    await Promise.all(running.map((service) => service.stop("SIGTERM")));
    await sink.close();
  }
}

export async function outboxBench(seconds: number): Promise<Record<string, unknown>> {
  const env = await freshStack();
  const pool = new pg.Pool({ connectionString: env.databaseUrl, max: 4 });
  try {
    const one = await throughput(env, pool, 1);
    const four = await throughput(env, pool, 4);
    const best = Math.max(one.events_per_second ?? 0, four.events_per_second ?? 0);
    const half = await latency(env, pool, Math.round(best / 2), seconds);
    return {
      sink: "local HTTP webhook receiver in the benchmark process (204, keep-alive), signed deliveries",
      throughput_1_processor: one,
      throughput_4_processors: four,
      commit_to_delivery_at_half_rate: half,
      targets: { events_per_second_min: 2000 },
    };
  } finally {
    await pool.end();
    await env.close();
  }
}
