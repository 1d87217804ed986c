// Issue 5's benchmark, push-driven since issue 16: events delivered per second to a local webhook
// sink with 1 processor and 4 (defaults), the same with the sizing the defaults replaced, against a
// receiver answering at once and one answering in 500 ms, commit-to-delivery latency of single
// events on an idle system, and at half the best rate. No poll interval is shortened: the
// processors are woken by migration 032's NOTIFY.
import { startService, waitUntil, type RunningService } from "@m10/devstack/service-process";
import { loadavg } from "node:os";
import pg from "pg";
import { sinkRoutesJson, startSink, type Sink } from "./http-sink.js";
import { freshStack, type BenchStack } from "./stack.js";
import { percentile, round } from "./stats.js";

/** A receiver answering at once gets 20,000 events; one answering in 500 ms, 2,000. */
const FAST = { events: 20_000, answerAfterMs: 0 };
const SLOW = { events: 2_000, answerAfterMs: 500 };

/** The defaults before issue 16 retuned them (20 per claim, 10 at once, 100 held), for comparison. */
const PREVIOUS_DEFAULTS: Record<string, string> = { OUTBOX_BATCH_SIZE: "20", OUTBOX_CONCURRENCY: "10", OUTBOX_MAX_IN_FLIGHT: "100" };
/** Single events committed one after the other on an idle system. */
const IDLE_EVENTS = 50;

function processorEnv(env: BenchStack, sink: Sink, sizing: Record<string, string>): Record<string, string> {
  return {
    DATABASE_URL: env.databaseUrl,
    REDIS_URL: env.redisUrl,
    NATS_URL: env.natsUrl,
    LOG_LEVEL: "warn",
    ...sizing,
    OUTBOX_ROUTES_JSON: sinkRoutesJson(sink),
  };
}

async function throughput(
  env: BenchStack,
  pool: pg.Pool,
  processes: number,
  sizing: Record<string, string>,
  receiver: { events: number; answerAfterMs: number },
): Promise<Record<string, unknown>> {
  const { events, answerAfterMs } = receiver;
  const sink = await startSink({ answerAfterMs });
  await pool.query("TRUNCATE m10_recovery.outbox");
  await pool.query(
    `INSERT INTO m10_recovery.outbox (aggregate_type, aggregate_id, event_type, payload)
     SELECT 'bench', g::text, 'bench.event', jsonb_build_object('n', g, 'note', 'throughput') FROM generate_series(1, $1) g`,
    [events],
  );
  const running: RunningService[] = [];
  try {
    const started = Date.now();
    for (let i = 0; i < processes; i++) running.push(await startService("services/outbox-processor/bin/m10-outbox-processor.js", processorEnv(env, sink, sizing)));
    await waitUntil(`all ${events} events delivered`, () => sink.firstSeen.size >= events, { timeoutMs: 300_000, intervalMs: 20 });
    const times = [...sink.firstSeen.values()];
    const first = Math.min(...times);
    const last = Math.max(...times);
    return {
      processes,
      sizing: Object.keys(sizing).length > 0 ? sizing : "defaults",
      receiver_answers_after_ms: answerAfterMs,
      events,
      events_per_second: round(events / ((last - first) / 1000)),
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
    for (let i = 0; i < 4; i++) running.push(await startService("services/outbox-processor/bin/m10-outbox-processor.js", processorEnv(env, sink, {})));
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
    await waitUntil("every committed event delivered", () => sink.byKey.size >= committedAt.size, { timeoutMs: 120_000, intervalMs: 20 });
    const latencies = [...committedAt].map(([id, at]) => (sink.byKey.get(id) ?? Number.NaN) - at);
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

/** One processor with the defaults, nothing else running: each event committed after the previous one arrived. */
async function idleLatency(env: BenchStack, pool: pg.Pool): Promise<Record<string, number>> {
  const sink = await startSink();
  await pool.query("TRUNCATE m10_recovery.outbox");
  const service = await startService("services/outbox-processor/bin/m10-outbox-processor.js", processorEnv(env, sink, {}));
  try {
    const latencies: number[] = [];
    for (let i = 0; i < IDLE_EVENTS; i++) {
      const id = `idle${i}`;
      await pool.query("SELECT m10_recovery.publish_outbox('bench', $1, 'bench.event', '{\"note\":\"idle\"}'::jsonb)", [id]);
      const committed = Date.now();
      await waitUntil(`idle event ${i} delivered`, () => sink.byKey.has(id), { timeoutMs: 30_000, intervalMs: 1 });
      latencies.push((sink.byKey.get(id) ?? Number.NaN) - committed);
    }
    return {
      events: IDLE_EVENTS,
      latency_ms_p50: percentile(latencies, 50),
      latency_ms_p99: percentile(latencies, 99),
      latency_ms_max: Math.max(...latencies),
    };
  } finally {
    await service.stop("SIGTERM");
    await sink.close();
  }
}

export async function outboxBench(seconds: number): Promise<Record<string, unknown>> {
  const env = await freshStack();
  const pool = new pg.Pool({ connectionString: env.databaseUrl, max: 4 });
  // An idle client's error (a server shutting down) must not end the benchmark process.
  pool.on("error", (error) => console.error(`[bench] idle database connection: ${error.message}`));
  try {
    const idle = await idleLatency(env, pool);
    const oneDefaults = await throughput(env, pool, 1, {}, FAST);
    const onePrevious = await throughput(env, pool, 1, PREVIOUS_DEFAULTS, FAST);
    const four = await throughput(env, pool, 4, {}, FAST);
    const slowDefaults = await throughput(env, pool, 1, {}, SLOW);
    const slowPrevious = await throughput(env, pool, 1, PREVIOUS_DEFAULTS, SLOW);
    const best = Math.max(Number(oneDefaults.events_per_second), Number(four.events_per_second));
    const half = await latency(env, pool, Math.round(best / 2), seconds);
    return {
      sink: "local HTTP webhook receiver in the benchmark process (204, keep-alive), signed deliveries",
      load_average_1m: round(loadavg()[0] ?? 0),
      idle_commit_to_delivery: idle,
      throughput_1_processor_defaults: oneDefaults,
      throughput_1_processor_previous_defaults: onePrevious,
      throughput_4_processors: four,
      slow_receiver_1_processor_defaults: slowDefaults,
      slow_receiver_1_processor_previous_defaults: slowPrevious,
      commit_to_delivery_at_half_rate: half,
      targets: { events_per_second_min: 3000, idle_commit_to_delivery_ms_max: 20 },
    };
  } finally {
    await pool.end();
    await env.close();
  }
}
