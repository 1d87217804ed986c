// The timeouts of every M10 HTTP server (ingest's Fastify and the health/metrics servers), from
// httpServerEnv: a client that trickles its headers or body (slow loris) is answered 408 and
// disconnected, and idle connections are closed.

export interface HttpServerSettings {
  M10_HTTP_REQUEST_TIMEOUT_MS: number;
  M10_HTTP_HEADERS_TIMEOUT_MS: number;
  M10_HTTP_KEEP_ALIVE_TIMEOUT_MS: number;
  M10_HTTP_IDLE_TIMEOUT_MS: number;
}

export interface HttpTimeouts {
  /** Whole request (headers and body), node:http's requestTimeout. */
  requestTimeout: number;
  /** Request headers, at most requestTimeout (node:http requires it). */
  headersTimeout: number;
  keepAliveTimeout: number;
  /** Socket inactivity (server.setTimeout; Fastify's connectionTimeout). */
  idleTimeout: number;
  /** How often node:http checks the request and header deadlines: a small part of the shorter one, at most 1 s. */
  connectionsCheckingInterval: number;
}

export function httpTimeouts(settings: HttpServerSettings): HttpTimeouts {
  const requestTimeout = settings.M10_HTTP_REQUEST_TIMEOUT_MS;
  const headersTimeout = Math.min(settings.M10_HTTP_HEADERS_TIMEOUT_MS, requestTimeout);
  return {
    requestTimeout,
    headersTimeout,
    keepAliveTimeout: settings.M10_HTTP_KEEP_ALIVE_TIMEOUT_MS,
    idleTimeout: settings.M10_HTTP_IDLE_TIMEOUT_MS,
    connectionsCheckingInterval: Math.max(10, Math.min(1_000, Math.floor(headersTimeout / 4))),
  };
}
