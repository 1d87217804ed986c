// buildApp(deps): the whole HTTP API as a Fastify instance that is not listening yet, so tests
// can use app.inject() or app.listen({ port: 0 }) and main.ts can listen on PORT.
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from "fastify";
import {
  createMetrics,
  DependencyState,
  httpTimeouts,
  type IngestConfig,
  loadTokenStore,
  type Logger,
  type M10Metrics,
  parsePermissionList,
  type Pool,
  type RedisClient,
  streamKeys,
  type TokenStore,
  watchRedis,
  rateLimitPrefix,
} from "@m10/shared";
import type { AppContext } from "./app-context.js";
import { AuditBuffer } from "./auth/audit-buffer.js";
import { registerRbac } from "./auth/rbac.js";
import { CandidateService } from "./candidates/candidate-service.js";
import { InFlightHandlers, registerInFlightTracking } from "./http/in-flight.js";
import { registerJsonBodyParser } from "./http/json-body-parser.js";
import { answerFrameworkError, registerProblemHandler } from "./http/problem-handler.js";
import { registerRequestIdHeader, requestIdFor } from "./http/request-id.js";
import { validatorCompiler } from "./http/validation.js";
import { EvaluationEnqueuer } from "./ingest/evaluation-enqueuer.js";
import { UpsertCoalescer } from "./ingest/upsert-coalescer.js";
import { IngestService } from "./ingest/ingest-service.js";
import { SourceLabel } from "./ingest/source-label.js";
import { registerRateLimits } from "./rate-limit/register.js";
import { actionRoutes } from "./routes/actions.js";
import { evaluateRoutes } from "./routes/evaluate.js";
import { healthRoutes } from "./routes/health.js";
import { memoryPinRoutes } from "./routes/memory-pins.js";
import { recoveryCandidateRoutes } from "./routes/recovery-candidates.js";
import { recoveryIngestRoutes } from "./routes/recovery-ingest.js";
import { statsRoutes } from "./routes/stats.js";

export interface AppDeps {
  config: IngestConfig;
  logger: Logger;
  pool: Pool;
  /** Absent: no rate limits, and every evaluation goes to the DB queue. */
  redis?: RedisClient | undefined;
  /** Default: a fresh registry with the ingest catalogue metrics. */
  metrics?: M10Metrics<"ingest">;
  /** Default: from M10_ADMIN_TOKEN, M10_MACHINE_TOKEN, MACHINE_SECRET_TOKEN and M10_RBAC_TOKENS_FILE. */
  tokens?: TokenStore;
}

export const API_VERSION = "1.0.0";

/** M10_TRUST_PROXY for Fastify: a hop count as the function proxy-addr makes of one (its types take no number). */
function trustProxyOption(setting: IngestConfig["M10_TRUST_PROXY"]): boolean | string[] | ((address: string, hop: number) => boolean) {
  return typeof setting === "number" ? (_address, hop) => hop < setting : setting;
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config, logger, pool } = deps;
  const redis = deps.redis;
  const { registry, metrics } = deps.metrics ?? createMetrics("ingest");
  const tokens = deps.tokens ?? loadTokenStore(config);
  const anonymousPermissions = parsePermissionList(config.RBAC_ANONYMOUS_PERMISSIONS);
  const keys = streamKeys(config);
  // One view of Redis for the whole process: the client's connection, the enqueues that fall back
  // to the DB queue and the rate limits that fail open all report to it, so an outage is logged once.
  const redisState = new DependencyState("redis", logger);
  if (redis) watchRedis(redis, redisState, logger);

  const timeouts = httpTimeouts(config);
  const app = Fastify({
    // No client holds a connection forever: a slow-loris body or header trickle gets 408 and is closed.
    requestTimeout: timeouts.requestTimeout,
    connectionTimeout: timeouts.idleTimeout,
    keepAliveTimeout: timeouts.keepAliveTimeout,
    http: { headersTimeout: timeouts.headersTimeout, connectionsCheckingInterval: timeouts.connectionsCheckingInterval },
    loggerInstance: logger as FastifyBaseLogger,
    // One structured line per request comes from the onResponse hook below.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: "request_id" }),
    genReqId: requestIdFor,
    bodyLimit: config.M10_INGEST_MAX_BODY_BYTES,
    trustProxy: trustProxyOption(config.M10_TRUST_PROXY),
    routerOptions: { maxParamLength: 2_048 },
    return503OnClosing: true,
    frameworkErrors: answerFrameworkError(config.M10_INGEST_RETRY_AFTER_SECONDS),
  });

  app.setValidatorCompiler(validatorCompiler());
  registerInFlightTracking(app, new InFlightHandlers());
  registerJsonBodyParser(app, config.M10_INGEST_MAX_JSON_DEPTH);
  registerProblemHandler(app, { logger, retryAfterSeconds: config.M10_INGEST_RETRY_AFTER_SECONDS });

  const sourceLabel = new SourceLabel();
  const enqueuer = new EvaluationEnqueuer({ redis, db: pool, keys, logger, redisState }, metrics);
  registerRequestIdHeader(app);
  const auditBuffer = config.RBAC_AUDIT_ENABLED
    ? new AuditBuffer({ db: pool, logger, metrics, maxEntries: config.M10_RBAC_AUDIT_BUFFER_MAX, flushIntervalMs: config.M10_RBAC_AUDIT_FLUSH_MS, batchSize: 500 })
    : undefined;
  if (auditBuffer) app.addHook("onClose", () => auditBuffer.close());
  const audit = registerRbac(app, { enforce: config.RBAC_ENFORCE, tokens, anonymousPermissions, auditBuffer, metrics });
  const context: AppContext = {
    config,
    logger,
    pool,
    redis,
    keys,
    metrics,
    registry,
    enqueuer,
    sourceLabel,
    ingest: new IngestService({ pool, enqueuer, upserts: new UpsertCoalescer(pool), metrics, sourceLabel }),
    candidates: new CandidateService({ pool, metrics }),
    rbac: { enforce: config.RBAC_ENFORCE, audit },
  };
  app.decorate("m10", context);

  // Graceful close: in-flight answers tell the client to drop the connection, so the server
  // does not wait for keep-alive sockets to time out before it can finish closing.
  let closing = false;
  app.addHook("preClose", async () => {
    closing = true;
  });
  // Callback-style hot-path hooks: no promise per request.
  app.addHook("onSend", (_request, reply, payload, done) => {
    if (closing) reply.header("connection", "close");
    done(null, payload);
  });

  app.addHook("onResponse", (request, reply, done) => {
    const status = reply.statusCode;
    // 429s come in floods by nature; m10_rate_limit_blocked_total counts them.
    const level = status >= 500 ? "error" : status >= 400 && status !== 429 ? "info" : "debug";
    if (logger.isLevelEnabled(level)) {
      const fields = { request_id: request.id, method: request.method, url: request.url, status, ms: Math.round(reply.elapsedTime * 100) / 100 };
      logger[level](fields, "http.request");
    }
    done();
  });

  if (config.M10_DOCS_ENABLED) {
    await app.register(swagger, {
      openapi: {
        info: {
          title: "M10 ingest API",
          version: API_VERSION,
          description: "Recovery ingest, candidates, actions, evaluation, stats and memory pins. Errors are application/problem+json (RFC 9457).",
        },
        components: {
          securitySchemes: {
            bearer: { type: "http", scheme: "bearer" },
            machineToken: { type: "apiKey", in: "header", name: "X-Machine-Token" },
          },
        },
        security: [{ bearer: [] }, { machineToken: [] }],
      },
    });
  }

  if (config.RATE_LIMIT_ENABLED && redis) {
    await registerRateLimits(app, {
      redis,
      keyPrefix: rateLimitPrefix(keys),
      windowMs: config.M10_RATE_LIMIT_WINDOW_MS,
      max: { ingest: config.M10_RATE_LIMIT_INGEST_MAX, recovery: config.M10_RATE_LIMIT_RECOVERY_MAX, pins: config.M10_RATE_LIMIT_PINS_MAX },
      anonymousMax: config.M10_RATE_LIMIT_ANONYMOUS_MAX,
      logger,
      redisState,
      metrics,
    });
  } else if (config.RATE_LIMIT_ENABLED) {
    logger.warn("rate_limit.disabled_without_redis");
  }

  await app.register(healthRoutes);
  await app.register(recoveryIngestRoutes, { prefix: "/api/v1/recovery" });
  await app.register(recoveryCandidateRoutes, { prefix: "/api/v1/recovery" });
  await app.register(actionRoutes, { prefix: "/api/v1/recovery" });
  await app.register(evaluateRoutes, { prefix: "/api/v1/recovery" });
  await app.register(statsRoutes, { prefix: "/api/v1/recovery" });
  await app.register(memoryPinRoutes, { prefix: "/api/v1/memory" });
  if (config.M10_DOCS_ENABLED) await app.register(swaggerUi, { routePrefix: "/docs" });

  await app.ready();
  return app;
}
