// @m10/delivery/testing: fixtures for tests of code that runs the delivery engine (this package's
// own tests and the outbox-processor's): the per-test environment, outbox rows in, an engine with
// its own metrics, and what the table holds afterwards.
import { createHttpSink, openTestDatabase, testStack, useEnvironment, type HttpSink, type TestDatabase } from "@m10/devstack/testing";
import { connect } from "@nats-io/transport-node";
import { createLogger, createMetrics, createPool, createRedisClient, holderId, type M10Metrics, type Pool, type RedisClient, throttlePrefix } from "@m10/shared";
import type { CircuitSnapshot } from "./circuit-breaker.js";
import { createDeliveryEngine, type BatchReport, type DeliverySettings } from "./engine.js";
import type { NatsConnection } from "./nats-connection.js";
import { PAYLOAD_ADDRESSING_OFF, type HostResolver } from "./payload-address-guard.js";
import { resolveRouting, type RoutingFile } from "./routing.js";

export const NATS_DEFAULTS = { OUTBOX_NATS_STREAM: "M10_EVENTS", OUTBOX_NATS_SUBJECT_PREFIX: "m10.events" };

export function testPool(url: string): Pool {
  return createPool(
    { DATABASE_URL: url, M10_DB_POOL_MAX: 10, M10_DB_CONNECT_TIMEOUT_MS: 5_000, M10_DB_STATEMENT_TIMEOUT_MS: 30_000 },
    createLogger("test", "silent"),
    "outbox-processor-test",
  );
}

export interface OutboxEnvironment {
  db: TestDatabase;
  pool: Pool;
  /** A webhook receiver that answers 200; a test changes its answers with `sink.respond = ...`. */
  sink: HttpSink;
}

export interface OutboxEnvironmentOptions {
  /** Also a client on the test stack's Redis. */
  redis?: boolean;
  /** Also a connection to the test stack's NATS. */
  nats?: boolean;
}

type Extras<O extends OutboxEnvironmentOptions> = (O extends { redis: true } ? { redis: RedisClient } : unknown) &
  (O extends { nats: true } ? { nats: NatsConnection } : unknown);

/**
 * What every outbox test starts from, new for each test: a database cloned from the template, a
 * pool on it and an HTTP sink (and Redis or NATS when asked for); all closed after the test.
 */
export function useOutboxEnvironment<const O extends OutboxEnvironmentOptions = Record<never, never>>(options: O = {} as O): OutboxEnvironment & Extras<O> {
  return useEnvironment(
    async (defer) => {
      const { db, pool } = await openTestDatabase(defer, testPool);
      const sink = await createHttpSink();
      defer(sink.close);
      const environment: OutboxEnvironment & { redis?: RedisClient; nats?: NatsConnection } = { db, pool, sink };
      if (options.redis) {
        const redis = createRedisClient(testStack().redisUrl);
        defer(() => redis.disconnect());
        environment.redis = redis;
      }
      if (options.nats) {
        const nats = await connect({ servers: testStack().natsUrl });
        defer(() => nats.close());
        environment.nats = nats;
      }
      return environment as OutboxEnvironment & Extras<O>;
    },
    { per: "test" },
  );
}

/**
 * Inserts `count` pending events with aggregate ids 1..count of `aggregateType` through
 * publish_outbox; returns their ids in order. Events of one aggregate are delivered one after the
 * other, so independent events of one test need aggregate types of their own.
 */
export async function insertEvents(
  pool: Pool,
  count: number,
  eventType: string,
  payload: (i: number) => unknown = (i) => ({ n: i }),
  aggregateType = "test",
): Promise<number[]> {
  const result = await pool.query<{ id: number }>(
    `SELECT m10_recovery.publish_outbox($4, i::text, $2, $3::jsonb->(i - 1)) AS id
       FROM generate_series(1, $1::int) AS i
      ORDER BY i`,
    [count, eventType, JSON.stringify(Array.from({ length: count }, (_, j) => payload(j + 1))), aggregateType],
  );
  return result.rows.map((row) => row.id);
}

export const TEST_SETTINGS: DeliverySettings = {
  leaseSeconds: 300,
  retryBudgetSeconds: 86_400,
  maxRetries: undefined,
  backoff: { baseSeconds: 0, maxSeconds: 3600 },
  throttleMaxWaitMs: 60_000,
  throttleKeyPrefix: throttlePrefix({}),
  slackWebhookUrl: undefined,
  payloadAddressing: PAYLOAD_ADDRESSING_OFF,
  circuit: { errorsPerMinute: 50, openSeconds: 60, minFailureRatio: 0.5 },
};

/** Payload addressing on, for the HTTP sink on 127.0.0.1 only (an explicit allowance of a loopback address). */
export const PAYLOAD_ADDRESSING_TO_SINK: DeliverySettings["payloadAddressing"] = { enabled: true, allowedHosts: ["127.0.0.1"], allowedPrivateAddresses: ["127.0.0.1"] };

export interface TestEngineOptions {
  pool: Pool;
  routing: RoutingFile;
  settings?: Partial<DeliverySettings>;
  batchSize?: number;
  concurrency?: number;
  redis?: RedisClient;
  nats?: NatsConnection;
  processorId?: string;
  random?: () => number;
  resolveHost?: HostResolver;
}

/** Something that delivers one batch per call: an engine here, the service's processor in its tests. */
export interface BatchRunner {
  runOnce(signal?: AbortSignal): Promise<BatchReport>;
}

export interface TestEngine extends BatchRunner {
  readonly processorId: string;
  readonly metrics: M10Metrics<"outbox-processor">;
  circuitBreakers(): Record<string, CircuitSnapshot>;
  close(): Promise<void>;
}

/** The engine's dependencies for a test: quiet logger, test settings, a fresh metrics registry. */
export function testEngineDeps(options: TestEngineOptions) {
  const metrics = createMetrics("outbox-processor", { defaultMetrics: false });
  return {
    metrics,
    deps: {
      pool: options.pool,
      redis: options.redis,
      nats: options.nats,
      logger: createLogger("outbox-test", process.env.TEST_LOG_LEVEL ?? "silent"),
      metrics: metrics.metrics,
      routing: resolveRouting(options.routing, NATS_DEFAULTS),
      settings: { ...TEST_SETTINGS, ...options.settings },
      processorId: options.processorId ?? holderId("test"),
      random: options.random,
      resolveHost: options.resolveHost,
    },
  };
}

/** A delivery engine with its own metrics registry; runOnce delivers one batch. */
export function testEngine(options: TestEngineOptions): TestEngine {
  const { metrics, deps } = testEngineDeps(options);
  const engine = createDeliveryEngine(deps);
  const batch = { batchSize: options.batchSize ?? 50, concurrency: options.concurrency ?? 10 };
  return {
    processorId: engine.processorId,
    metrics,
    runOnce: (signal) => engine.runBatch({ ...batch, signal }),
    circuitBreakers: () => engine.circuitBreakers(),
    close: () => engine.close(),
  };
}

export async function pendingCount(pool: Pool): Promise<number> {
  const result = await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM m10_recovery.outbox WHERE processed_at IS NULL");
  return result.rows[0]?.n ?? 0;
}

/** Runs batches on every runner until nothing is pending (or the deadline passes). */
export async function drain(pool: Pool, processors: BatchRunner[], timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  await Promise.all(
    processors.map(async (processor) => {
      while (Date.now() < deadline) {
        const report = await processor.runOnce();
        if (report.claimed === 0) {
          if ((await pendingCount(pool)) === 0) return;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
    }),
  );
  const left = await pendingCount(pool);
  if (left > 0) throw new Error(`${left} events still pending after ${timeoutMs} ms`);
}

export interface OutboxRow {
  id: number;
  event_type: string;
  aggregate_id: string;
  processed_at: Date | null;
  processed_by: string | null;
  retry_count: number;
  last_error: string | null;
  next_retry_at: Date | null;
  process_after: Date | null;
  claimed_at: Date | null;
  claimed_by: string | null;
  updated_at: Date;
}

export async function outboxRows(pool: Pool): Promise<OutboxRow[]> {
  const result = await pool.query<OutboxRow>(
    `SELECT id, event_type, aggregate_id, processed_at, processed_by, retry_count, last_error, next_retry_at, process_after,
            claimed_at, claimed_by, updated_at
       FROM m10_recovery.outbox ORDER BY id`,
  );
  return result.rows;
}

export function webhookRouting(url: string, extra: Record<string, unknown> = {}): RoutingFile {
  return { targets: { sink: { type: "webhook", url, rpm: 0, ...extra } as RoutingFile["targets"][string] }, routes: { "*": ["sink"] } };
}
