import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import type { Logger } from "pino";
import { cachedFor } from "../async/cached.js";
import { httpTimeouts, type HttpServerSettings } from "./http-timeouts.js";
import { MONITORING_METRICS_PATH } from "./metrics-view.js";

export type ReadyStatus = "ok" | "degraded" | "down";

export interface ReadyReport {
  status: ReadyStatus;
  checks: Record<string, unknown>;
}

export interface HealthServerOptions {
  service: string;
  host: string;
  port: number;
  registry: Registry;
  logger: Logger;
  /** Readiness: "down" answers 503; "degraded" is still ready (e.g. Redis down, DB fallback in use). */
  ready?: () => Promise<ReadyReport>;
  /** Everything an operator wants at 3 a.m.: dependencies, queue depths, fallback state. */
  detailed?: () => Promise<Record<string, unknown>>;
  /** The Phase 7 runbook's JSON view of the metrics, at /monitoring/metrics (404 without it). */
  monitoring?: () => Promise<Record<string, unknown>>;
  /** Timeouts (httpServerEnv) and how long one /health/detailed answer is reused (M10_HEALTH_DETAILED_CACHE_MS). */
  http: HttpServerSettings & { M10_HEALTH_DETAILED_CACHE_MS: number };
}

export interface HealthServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

const startedAt = Date.now();

function send(res: ServerResponse, status: number, body: unknown, contentType = "application/json"): void {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  res.writeHead(status, { "content-type": contentType, "cache-control": "no-store" });
  res.end(text);
}

/**
 * The small HTTP server of a non-HTTP service: /health, /ready, /health/detailed, /metrics and
 * /monitoring/metrics (the same metrics as JSON, where the service offers them). None
 * asks for credentials, so it binds loopback unless M10_HEALTH_HOST says otherwise; /health/detailed
 * runs its queries at most once per M10_HEALTH_DETAILED_CACHE_MS however many ask.
 */
export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const detailedReport = cachedFor(options.http.M10_HEALTH_DETAILED_CACHE_MS, async () => {
    const report = options.ready ? await options.ready() : { status: "ok" as const, checks: {} };
    const details = options.detailed ? await options.detailed() : {};
    return { report, details, checkedAt: new Date().toISOString() };
  });
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") return send(res, 405, { code: "method_not_allowed" });
    switch (path) {
      case "/health":
        return send(res, 200, { status: "ok", service: options.service, uptime_seconds: Math.round((Date.now() - startedAt) / 1000) });
      case "/ready": {
        const report = options.ready ? await options.ready() : { status: "ok" as const, checks: {} };
        return send(res, report.status === "down" ? 503 : 200, { ready: report.status !== "down", ...report });
      }
      case "/health/detailed": {
        const { report, details, checkedAt } = await detailedReport();
        return send(res, report.status === "down" ? 503 : 200, { service: options.service, ...report, ...details, checked_at: checkedAt });
      }
      case "/metrics":
        return send(res, 200, await options.registry.metrics(), options.registry.contentType);
      case MONITORING_METRICS_PATH:
        if (!options.monitoring) return send(res, 404, { code: "not_found" });
        return send(res, 200, { service: options.service, ...(await options.monitoring()), collected_at: new Date().toISOString() });
      default:
        return send(res, 404, { code: "not_found" });
    }
  };
  const timeouts = httpTimeouts(options.http);
  const server = createServer(timeouts, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      options.logger.error({ err: error }, "health.request_failed");
      if (!res.headersSent) send(res, 500, { code: "internal_error" });
    });
  });
  server.setTimeout(timeouts.idleTimeout);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = options.host === "0.0.0.0" ? "127.0.0.1" : options.host;
  return {
    url: `http://${shownHost}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
