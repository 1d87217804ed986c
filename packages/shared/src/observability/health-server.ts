import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import type { Logger } from "pino";

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

/** The small HTTP server of a non-HTTP service: /health, /ready, /health/detailed, /metrics. */
export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
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
        const report = options.ready ? await options.ready() : { status: "ok" as const, checks: {} };
        const details = options.detailed ? await options.detailed() : {};
        return send(res, report.status === "down" ? 503 : 200, { service: options.service, ...report, ...details });
      }
      case "/metrics":
        return send(res, 200, await options.registry.metrics(), options.registry.contentType);
      default:
        return send(res, 404, { code: "not_found" });
    }
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      options.logger.error({ err: error }, "health.request_failed");
      if (!res.headersSent) send(res, 500, { code: "internal_error" });
    });
  });
  server.keepAliveTimeout = 5_000;
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
