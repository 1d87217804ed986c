// /health (liveness), /ready (PostgreSQL and Redis; Redis down = degraded but ready),
// /health/detailed (dependencies with latency, queue depths, fallback state), /metrics and its JSON
// view /monitoring/metrics (the Phase 7 runbook's). /health/detailed and both metrics paths ask
// for a token by default (M10_*_REQUIRE_AUTH); /health/detailed
// runs its checks and count query at most once per M10_HEALTH_DETAILED_CACHE_MS (checked_at says when).
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { FastifyContextConfig } from "fastify";
import { cachedFor, metricTotal, metricTotalsBy, MONITORING_METRICS_PATH, successRate } from "@m10/shared";
import { checkPostgres, checkRedis, queueDepths } from "../operations/dependency-checks.js";

const CHECK_TIMEOUT_MS = 2_000;
const startedAt = Date.now();

export const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { pool, redis, keys, registry, config, enqueuer, metrics } = app.m10;
  const ops = (restricted: boolean): FastifyContextConfig => (restricted ? { permission: "ops:read" } : {});

  const readiness = async () => {
    const [postgres, redisCheck] = await Promise.all([checkPostgres(pool, CHECK_TIMEOUT_MS), checkRedis(redis, CHECK_TIMEOUT_MS)]);
    const status = !postgres.ok ? "down" : redisCheck.ok ? "ok" : "degraded";
    return { status, checks: { postgres, redis: redisCheck } } as const;
  };

  const detailed = cachedFor(config.M10_HEALTH_DETAILED_CACHE_MS, async () => {
    const [report, queue, failOpen] = await Promise.all([
      readiness(),
      queueDepths(pool, redis, keys, CHECK_TIMEOUT_MS),
      metrics.m10RateLimitFailOpenTotal.get(),
    ]);
    return {
      service: "ingest",
      ready: report.status !== "down",
      ...report,
      uptime_seconds: Math.round((Date.now() - startedAt) / 1000),
      queue,
      fallback: {
        // New candidates go to m10_recovery.work_queue while Redis does not answer.
        active: !report.checks.redis.ok,
        db_fallback_enqueues_since_start: enqueuer.dbFallbackTotal,
        last_fallback_at: enqueuer.lastFallbackAt?.toISOString() ?? null,
        last_fallback_reason: enqueuer.lastFallbackReason,
      },
      rate_limit: {
        enabled: config.RATE_LIMIT_ENABLED,
        fail_open_since_start: failOpen.values.reduce((sum, v) => sum + v.value, 0),
      },
      rbac: { enforce: config.RBAC_ENFORCE },
      memory_pins: { enabled: config.MEMORY_PINS_ENABLED },
      checked_at: new Date().toISOString(),
    };
  });

  app.get("/health", { schema: { tags: ["operations"], summary: "Liveness" } }, async () => ({
    status: "ok",
    service: "ingest",
    uptime_seconds: Math.round((Date.now() - startedAt) / 1000),
  }));

  app.get("/ready", { schema: { tags: ["operations"], summary: "Readiness: 503 when PostgreSQL is unreachable; Redis down is degraded but ready" } }, async (_request, reply) => {
    const report = await readiness();
    return reply.code(report.status === "down" ? 503 : 200).send({ ready: report.status !== "down", ...report });
  });

  app.get(
    "/health/detailed",
    { schema: { tags: ["operations"], summary: "Dependencies, queue depths and fallback state" }, config: ops(config.M10_HEALTH_DETAILED_REQUIRE_AUTH) },
    async (_request, reply) => {
      const body = await detailed();
      return reply.code(body.ready ? 200 : 503).send(body);
    },
  );

  app.get("/metrics", { schema: { tags: ["operations"], summary: "Prometheus metrics" }, config: ops(config.M10_METRICS_REQUIRE_AUTH) }, async (_request, reply) => {
    return reply.type(registry.contentType).send(await registry.metrics());
  });

  app.get(
    MONITORING_METRICS_PATH,
    { schema: { tags: ["operations"], summary: "This process's ingest and outbox counters as JSON (the Phase 7 runbook's view)" }, config: ops(config.M10_METRICS_REQUIRE_AUTH) },
    async () => {
      const [ingested, duplicates, enqueued, published, accepted, duplicate, errors] = await Promise.all([
        metricTotalsBy(registry, "recovery_ingest_total", "status"),
        metricTotalsBy(registry, "recovery_ingest_duplicates_total", "detection_method"),
        metricTotalsBy(registry, "recovery_ingest_enqueue_total", "status"),
        metricTotalsBy(registry, "m10_outbox_published_total", "event_type"),
        metricTotal(registry, "recovery_ingest_total", { status: "accepted" }),
        metricTotal(registry, "recovery_ingest_total", { status: "duplicate" }),
        metricTotal(registry, "recovery_ingest_total", { status: "error" }),
      ]);
      return {
        service: "ingest",
        events_ingested_total: ingested,
        ingest_duplicates_total: duplicates,
        evaluation_enqueue_total: enqueued,
        // Outbox events written by this process (approvals and rejections), by event type.
        events_published_total: published,
        success_rate: successRate(accepted + duplicate, errors),
        collected_at: new Date().toISOString(),
      };
    },
  );
};
