// Issue 16's end-to-end benchmark: HTTP ingest → claim worker → outbox processor → signed webhook
// sink, every service a real process with its defaults. Latency runs from the client's send time to
// the sink's receive time of the candidate's recovery.suggested event. Baselines measured on the
// same fresh stack first: pgbench single-row upsert and redis-benchmark XADD.
import { Agent, request } from "node:http";
import { loadavg } from "node:os";
import { startService, waitUntil, type RunningService } from "@m10/devstack/service-process";
import { RECOVERY_SUGGESTED } from "@m10/shared";
import autocannon from "autocannon";
import pg from "pg";
import { sinkRoutesJson, startSink, type Sink } from "./http-sink.js";
import { failure, startIngest, TOKEN } from "./ingest-service.js";
import { pgbenchUpsert } from "./pgbench.js";
import { watchProcesses } from "./proc.js";
import { redisXaddBaseline } from "./redis-benchmark.js";
import { freshStack, type BenchStack } from "./stack.js";
import { percentile, round } from "./stats.js";

const CONNECTIONS = 32;
const FIXED_RATES = [100, 300];
const IDLE_EVENTS = 20;
/** Percentiles kept for the chart's latency distribution. */
export const LATENCY_PERCENTILES = [10, 25, 50, 75, 90, 95, 99, 99.9, 100];
const DRAIN_TIMEOUT_MS = 180_000;

interface Pipeline {
  sink: Sink;
  ingestUrl: string;
  pids: Record<string, number>;
  /** failure_match_id → the client's send time (ms), across all phases. */
  sentAt: Map<string, number>;
}

/** Latency figures of the ids sent in one phase, once each was delivered. */
function latencyFigures(pipeline: Pipeline, ids: readonly string[]): Record<string, unknown> {
  const latencies = ids.map((id) => (pipeline.sink.byKey.get(id) ?? Number.NaN) - (pipeline.sentAt.get(id) ?? Number.NaN));
  return {
    latency_ms_p50: percentile(latencies, 50),
    latency_ms_p99: percentile(latencies, 99),
    latency_ms_max: percentile(latencies, 100),
    latency_ms_percentiles: LATENCY_PERCENTILES.map((p) => ({ p, ms: percentile(latencies, p) })),
  };
}

/** Waits until every id was delivered, then the deliveries' span and rate from the first send. */
async function drained(pipeline: Pipeline, ids: readonly string[], loadEndedAt: number): Promise<Record<string, number>> {
  await waitUntil(`${ids.length} recovery.suggested events delivered`, () => ids.every((id) => pipeline.sink.byKey.has(id)), {
    timeoutMs: DRAIN_TIMEOUT_MS,
    intervalMs: 50,
  });
  const sent = ids.map((id) => pipeline.sentAt.get(id) ?? Number.NaN);
  const received = ids.map((id) => pipeline.sink.byKey.get(id) ?? Number.NaN);
  const firstSent = Math.min(...sent);
  const lastReceived = Math.max(...received);
  const duringLoad = received.filter((at) => at <= loadEndedAt).length;
  return {
    delivered: ids.length,
    deliveries_per_second: round(ids.length / ((lastReceived - firstSent) / 1000)),
    deliveries_per_second_while_loaded: round(duringLoad / ((loadEndedAt - firstSent) / 1000)),
    drain_seconds_after_load: round(Math.max(0, lastReceived - loadEndedAt) / 1000),
  };
}

/** The body of one request; its failure_match_id's send time is recorded now. */
function nextBody(pipeline: Pipeline, ids: string[]): string {
  const body = failure(pipeline.sentAt.size);
  pipeline.sentAt.set(body.failure_match_id, Date.now());
  ids.push(body.failure_match_id);
  return JSON.stringify(body);
}

/** autocannon at 32 connections: each connection sends its next request when the last one is answered. */
async function closedLoop(pipeline: Pipeline, seconds: number): Promise<Record<string, unknown>> {
  const attempted: string[] = [];
  const usage = watchProcesses(pipeline.pids);
  const result = await autocannon({
    url: `${pipeline.ingestUrl}/api/v1/recovery/ingest`,
    connections: CONNECTIONS,
    duration: seconds,
    headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
    requests: [{ method: "POST", setupRequest: (req) => ({ ...req, body: nextBody(pipeline, attempted) }) }],
  });
  const loadEndedAt = Date.now();
  // The last requests autocannon prepared may never have been sent; those answered 202 are delivered.
  const accepted = result["2xx"];
  await waitUntil(`${accepted} accepted candidates delivered`, () => attempted.filter((id) => pipeline.sink.byKey.has(id)).length >= accepted, {
    timeoutMs: DRAIN_TIMEOUT_MS,
    intervalMs: 100,
  });
  const delivered = attempted.filter((id) => pipeline.sink.byKey.has(id));
  const drain = await drained(pipeline, delivered, loadEndedAt);
  return {
    connections: CONNECTIONS,
    seconds,
    ingest_requests_per_second: round(result.requests.average),
    ingest_latency_ms: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
    errors: result.errors + result.timeouts,
    non_2xx: result.non2xx,
    ...drain,
    ...latencyFigures(pipeline, delivered),
    processes: usage.stop(),
  };
}

/** POSTs one body over a keep-alive agent; resolves with the status (0 for a transport error). */
function post(pipeline: Pipeline, agent: Agent, body: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      `${pipeline.ingestUrl}/api/v1/recovery/ingest`,
      { method: "POST", agent, headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` } },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", () => resolve(0));
    req.end(body);
  });
}

/** An open loop: requests go out on schedule whatever the answers, `rate` per second for `seconds`. */
async function fixedRate(pipeline: Pipeline, rate: number, seconds: number): Promise<Record<string, unknown>> {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const usage = watchProcesses(pipeline.pids);
  const ids: string[] = [];
  const accepted: string[] = [];
  const answers: Promise<void>[] = [];
  let rejected = 0;
  const started = Date.now();
  const total = rate * seconds;
  try {
    while (ids.length < total) {
      const due = Math.min(total, Math.floor(((Date.now() - started) * rate) / 1000) + 1);
      while (ids.length < due) {
        const body = nextBody(pipeline, ids);
        const id = ids[ids.length - 1] as string;
        answers.push(post(pipeline, agent, body).then((status) => (status === 202 ? void accepted.push(id) : void (rejected += 1))));
      }
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    await Promise.all(answers);
  } finally {
    agent.destroy();
  }
  const loadEndedAt = Date.now();
  const drain = await drained(pipeline, accepted, loadEndedAt);
  return {
    offered_requests_per_second: rate,
    achieved_requests_per_second: round(ids.length / ((loadEndedAt - started) / 1000)),
    requests: ids.length,
    rejected_or_failed: rejected,
    ...drain,
    ...latencyFigures(pipeline, accepted),
    processes: usage.stop(),
  };
}

/**
 * One request at a time on an idle pipeline, each after the previous event arrived: send → delivered,
 * and the outbox row's insert (its transaction's start, so at or before the commit) → delivered.
 */
async function idle(pipeline: Pipeline, pool: pg.Pool): Promise<Record<string, unknown>> {
  const agent = new Agent({ keepAlive: true });
  const ids: string[] = [];
  const commitToDelivered: number[] = [];
  try {
    for (let i = 0; i < IDLE_EVENTS; i++) {
      const status = await post(pipeline, agent, nextBody(pipeline, ids));
      if (status !== 202) throw new Error(`idle ingest answered ${status}`);
      const id = ids[ids.length - 1] as string;
      await waitUntil(`idle candidate ${i} delivered`, () => pipeline.sink.byKey.has(id), { timeoutMs: 30_000, intervalMs: 1 });
      const { rows } = await pool.query<{ created_ms: number }>(
        `SELECT (extract(epoch FROM created_at) * 1000)::float8 AS created_ms FROM m10_recovery.outbox
          WHERE event_type = $1 AND payload->>'failure_match_id' = $2`,
        [RECOVERY_SUGGESTED, id],
      );
      commitToDelivered.push((pipeline.sink.byKey.get(id) ?? Number.NaN) - (rows[0]?.created_ms ?? Number.NaN));
    }
  } finally {
    agent.destroy();
  }
  return {
    events: IDLE_EVENTS,
    ...latencyFigures(pipeline, ids),
    commit_to_delivered_ms: {
      p50: round(percentile(commitToDelivered, 50), 1),
      p99: round(percentile(commitToDelivered, 99), 1),
      max: round(percentile(commitToDelivered, 100), 1),
    },
  };
}

async function startPipeline(env: BenchStack, sink: Sink): Promise<RunningService[]> {
  const base = { DATABASE_URL: env.databaseUrl, REDIS_URL: env.redisUrl, NATS_URL: env.natsUrl, LOG_LEVEL: "warn" };
  const services: RunningService[] = [];
  try {
    services.push(await startIngest(env));
    services.push(await startService("services/claim-worker/bin/m10-claim-worker.js", base));
    services.push(await startService("services/outbox-processor/bin/m10-outbox-processor.js", { ...base, OUTBOX_ROUTES_JSON: sinkRoutesJson(sink) }));
    return services;
  } catch (error) {
    await Promise.all(services.map((service) => service.stop("SIGTERM")));
    throw error;
  }
}

export async function pipelineBench(seconds: number): Promise<Record<string, unknown>> {
  const env = await freshStack();
  const pool = new pg.Pool({ connectionString: env.databaseUrl, max: 2 });
  // An idle client's error (a server shutting down) must not end the benchmark process.
  pool.on("error", (error) => console.error(`[bench] idle database connection: ${error.message}`));
  const sink = await startSink({ keyOf: (body) => (body.type === RECOVERY_SUGGESTED ? String(body.data?.failure_match_id) : undefined) });
  try {
    const pgbench = await pgbenchUpsert(env.databaseUrl, 16, seconds);
    const redis = await redisXaddBaseline(env.redisUrl, CONNECTIONS, seconds);
    const services = await startPipeline(env, sink);
    try {
      const [ingest, worker, processor] = services.map((service) => service.child.pid ?? 0) as [number, number, number];
      const pipeline: Pipeline = {
        sink,
        ingestUrl: services[0]?.url ?? "",
        pids: { ingest, claim_worker: worker, outbox_processor: processor },
        sentAt: new Map(),
      };
      const idleFigures = await idle(pipeline, pool);
      const loadBefore = round(loadavg()[0] ?? 0);
      const closed = await closedLoop(pipeline, seconds);
      const rates: Record<string, unknown> = {};
      for (const rate of FIXED_RATES) rates[`at_${rate}_rps`] = await fixedRate(pipeline, rate, seconds);
      return {
        services: "ingest, claim worker, outbox processor (1 process each, defaults) → local signed-webhook sink in the benchmark process",
        load_average_1m_before_load: loadBefore,
        load_average_1m_after: round(loadavg()[0] ?? 0),
        baselines: { pgbench_upsert: pgbench, redis_benchmark_xadd: redis },
        idle_one_event: idleFigures,
        closed_loop: closed,
        fixed_rate: rates,
        duplicate_deliveries: sink.duplicates,
        targets: {
          closed_loop_deliveries_per_second_min: 1050,
          fixed_rate_latency_ms_p50_max: 30,
          fixed_rate_latency_ms_p99_max: 100,
          idle_commit_to_delivered_ms_max: 20,
          rss_mb_max: 200,
        },
      };
    } finally {
      await Promise.all(services.map((service) => service.stop("SIGTERM")));
    }
  } finally {
    await sink.close();
    await pool.end();
    await env.close();
  }
}
