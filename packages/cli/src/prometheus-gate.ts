// The Prometheus lifecycle gate: a reverse proxy in front of Prometheus that passes every request
// through except the lifecycle endpoints (/-/reload, /-/quit), which need
// `Authorization: Bearer $PROM_RELOAD_TOKEN`. Prometheus's own web config only knows basic auth
// and TLS, so the seed's bearer token needs a proxy (docs/architecture.md, "Prometheus lifecycle gate").
//
// It imports nothing but Node's own modules, so the compose stack runs this very file with the
// stock Node image (`node prometheus-gate.ts`, type stripping), and `m10ctl` needs no build for it:
//
//   PROM_RELOAD_TOKEN=... PROM_GATE_LISTEN=127.0.0.1:9090 PROM_UPSTREAM_URL=http://127.0.0.1:9091 \
//     node packages/cli/src/prometheus-gate.ts
import { timingSafeEqual, createHash } from "node:crypto";
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";

export interface PrometheusGateOptions {
  /** The bearer token the lifecycle endpoints need. */
  token: string;
  host: string;
  port: number;
  /** Prometheus itself, e.g. http://127.0.0.1:9091 (started with --web.enable-lifecycle). */
  upstream: URL;
  /** How long the upstream may take to answer (a slow query or a reload of many rule files). */
  upstreamTimeoutMs: number;
  log: (event: string, fields: Record<string, unknown>) => void;
}

export interface PrometheusGate {
  url: string;
  close(): Promise<void>;
}

/** Shorter tokens are refused at start-up: a lifecycle token is a secret, not a password to type. */
export const MIN_TOKEN_LENGTH = 16;

const LIFECYCLE_PATHS = ["/-/reload", "/-/quit"];

/**
 * Whether a request path reaches a lifecycle endpoint. Prometheus's router redirects near misses
 * (`//-/reload`, `/-/RELOAD/`, percent-encoded dashes) to the real path, so they are normalised
 * the same way before the check; a path that does not decode is treated as lifecycle (refused).
 */
export function isLifecyclePath(rawUrl: string): boolean {
  const rawPath = rawUrl.split(/[?#]/, 1)[0] ?? "";
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    return true;
  }
  const normalised = path.toLowerCase().replace(/\/{2,}/g, "/").replace(/\/+$/, "");
  return LIFECYCLE_PATHS.some((lifecycle) => normalised === lifecycle || normalised.startsWith(`${lifecycle}/`));
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

/** "missing", "invalid" or "ok", compared in constant time (over digests, so lengths do not leak). */
function bearerStatus(header: string | undefined, token: Buffer): "missing" | "invalid" | "ok" {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  if (!match?.[1]) return "missing";
  return timingSafeEqual(digest(match[1]), token) ? "ok" : "invalid";
}

function problem(res: ServerResponse, status: number, code: string, detail: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/problem+json", "cache-control": "no-store", ...headers });
  res.end(JSON.stringify({ type: "about:blank", title: code.replace(/_/g, " "), status, code, detail }));
}

function forward(req: IncomingMessage, res: ServerResponse, options: PrometheusGateOptions): void {
  const upstream = request(
    {
      protocol: options.upstream.protocol,
      hostname: options.upstream.hostname,
      port: options.upstream.port,
      method: req.method,
      path: req.url,
      headers: { ...req.headers, host: options.upstream.host },
      timeout: options.upstreamTimeoutMs,
    },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on("timeout", () => upstream.destroy(new Error(`no answer within ${options.upstreamTimeoutMs} ms`)));
  upstream.on("error", (error) => {
    options.log("prometheus_gate.upstream_failed", { path: req.url, error: error.message });
    if (!res.headersSent) problem(res, 502, "upstream_unavailable", "Prometheus did not answer");
    else res.destroy();
  });
  req.pipe(upstream);
}

export async function startPrometheusGate(options: PrometheusGateOptions): Promise<PrometheusGate> {
  if (options.token.length < MIN_TOKEN_LENGTH) throw new Error(`the reload token must be at least ${MIN_TOKEN_LENGTH} characters`);
  const token = digest(options.token);
  const server: Server = createServer({ headersTimeout: 10_000, requestTimeout: options.upstreamTimeoutMs + 5_000 }, (req, res) => {
    const url = req.url ?? "/";
    if (isLifecyclePath(url)) {
      const status = bearerStatus(req.headers.authorization, token);
      if (status !== "ok") {
        options.log("prometheus_gate.lifecycle_refused", { method: req.method, path: url, reason: status, remote: req.socket.remoteAddress });
        req.resume();
        if (status === "missing") {
          return problem(res, 401, "unauthenticated", "the Prometheus lifecycle endpoints need Authorization: Bearer $PROM_RELOAD_TOKEN", {
            "www-authenticate": 'Bearer realm="prometheus-lifecycle"',
          });
        }
        return problem(res, 403, "invalid_token", "the bearer token is not the Prometheus reload token");
      }
      options.log("prometheus_gate.lifecycle_allowed", { method: req.method, path: url, remote: req.socket.remoteAddress });
    }
    forward(req, res, options);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** host:port → its parts; a bare port listens on 127.0.0.1. */
function listenAddress(text: string): { host: string; port: number } {
  const match = /^(?:(.+):)?(\d{1,5})$/.exec(text);
  const port = Number(match?.[2]);
  if (!match || port > 65_535) throw new Error(`PROM_GATE_LISTEN must be host:port, got "${text}"`);
  return { host: match[1] ?? "127.0.0.1", port };
}

const USAGE = `prometheus-gate: Prometheus behind a token for /-/reload and /-/quit

Environment:
  PROM_RELOAD_TOKEN       required, at least ${MIN_TOKEN_LENGTH} characters: the bearer token of the lifecycle endpoints
  PROM_GATE_LISTEN        where the gate listens (default 127.0.0.1:9090, the address operators use)
  PROM_UPSTREAM_URL       Prometheus itself (default http://127.0.0.1:9091)
  PROM_UPSTREAM_TIMEOUT_MS  how long Prometheus may take to answer (default 120000)

Example:
  curl -X POST http://localhost:9090/-/reload -H "Authorization: Bearer $PROM_RELOAD_TOKEN"`;

function log(event: string, fields: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), service: "prometheus-gate", msg: event, ...fields })}\n`);
}

/** Start from the environment; SIGTERM/SIGINT stop accepting and exit once open requests end. */
export async function runPrometheusGate(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (process.argv.includes("--help") || process.argv.includes("-h")) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  let gate: PrometheusGate;
  try {
    const { host, port } = listenAddress(env.PROM_GATE_LISTEN ?? "127.0.0.1:9090");
    gate = await startPrometheusGate({
      token: env.PROM_RELOAD_TOKEN ?? "",
      host,
      port,
      upstream: new URL(env.PROM_UPSTREAM_URL ?? "http://127.0.0.1:9091"),
      upstreamTimeoutMs: Number(env.PROM_UPSTREAM_TIMEOUT_MS ?? 120_000),
      log,
    });
  } catch (error) {
    process.stderr.write(`prometheus-gate: ${error instanceof Error ? error.message : String(error)}\n\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  log("service.started", { url: gate.url, upstream: env.PROM_UPSTREAM_URL ?? "http://127.0.0.1:9091" });
  const stop = (signal: string) => {
    log("service.stopping", { signal });
    void gate.close().then(() => log("service.stopped", {}));
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await runPrometheusGate();
