// The console's own probes, as every M10 service has them: /health (alive), /ready (PostgreSQL
// answers; Redis down is degraded), /health/detailed and /metrics. They carry no console data.
import { databaseAnswers, type M10Metrics, redisAnswers } from "@m10/shared";
import type { FastifyInstance } from "fastify";
import type { ConsoleContext } from "../context.js";

const startedAt = Date.now();
const CHECK_TIMEOUT_MS = 2_000;

export function operationsRoutes(app: FastifyInstance, ctx: ConsoleContext, registry: M10Metrics<"console">["registry"]): void {
  const ready = async () => {
    const [postgres, redis] = await Promise.all([databaseAnswers(ctx.pool, CHECK_TIMEOUT_MS), redisAnswers(ctx.redisClient, CHECK_TIMEOUT_MS)]);
    return { status: !postgres ? "down" : redis ? "ok" : "degraded", checks: { postgres, redis } };
  };
  const open = { config: { public: true } };
  app.get("/health", open, async () => ({ status: "ok", service: "console", uptime_seconds: Math.round((Date.now() - startedAt) / 1000) }));
  app.get("/ready", open, async (_request, reply) => {
    const report = await ready();
    return reply.code(report.status === "down" ? 503 : 200).send({ ready: report.status !== "down", ...report });
  });
  app.get("/health/detailed", open, async (_request, reply) => {
    const report = await ready();
    return reply.code(report.status === "down" ? 503 : 200).send({ ...report, service: "console", sessions: ctx.sessions.size, checked_at: new Date().toISOString() });
  });
  app.get("/metrics", open, async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()));
}
