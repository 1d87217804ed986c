import { Cluster, Redis, type RedisOptions } from "ioredis";
import { withTimeout } from "../async/timeout.js";

export type RedisClient = Redis | Cluster;

function hosts(list: string, defaultPort: number): { host: string; port: number }[] {
  return list.split(",").map((entry) => {
    const [host, port] = entry.trim().split(":");
    return { host: host || "localhost", port: Number(port || defaultPort) };
  });
}

/**
 * A client for a standalone, Sentinel or Cluster URL:
 *   redis://[:password@]host:port/db, rediss://... (TLS)
 *   redis-sentinel://[:password@]h1:26379,h2:26379/<master-name>[?db=0]
 *   redis-cluster://[:password@]h1:7000,h2:7001
 * Reconnects forever with capped backoff; commands fail fast while disconnected so callers can
 * fall back (ingest to the DB queue) instead of hanging.
 */
export function createRedisClient(url: string, extra: RedisOptions = {}): RedisClient {
  const common: RedisOptions = {
    // RESP2: ioredis 6 speaks RESP3 by default, where replies to commands sent with call() (XREADGROUP
    // among them) change shape; M10 parses the RESP2 shapes.
    protocol: 2,
    lazyConnect: false,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    connectTimeout: 2_000,
    // A hung Redis must not hang a request: fail the command and let the caller fall back.
    commandTimeout: 2_000,
    retryStrategy: (attempt) => Math.min(200 * 2 ** Math.min(attempt, 5), 5_000),
    ...extra,
  };
  const match = /^(redis-sentinel|redis-cluster):\/\/(?:([^@]*)@)?([^/?]+)(?:\/([^?]*))?(?:\?(.*))?$/.exec(url);
  if (match) {
    const [, scheme, auth, hostList = "", path, query] = match;
    const password = auth?.includes(":") ? decodeURIComponent(auth.split(":").slice(1).join(":")) : auth ? decodeURIComponent(auth) : undefined;
    const params = new URLSearchParams(query ?? "");
    if (scheme === "redis-cluster") {
      return new Cluster(hosts(hostList, 6379), {
        clusterRetryStrategy: common.retryStrategy,
        enableOfflineQueue: false,
        redisOptions: { ...common, ...(password ? { password } : {}) },
      });
    }
    return new Redis({
      ...common,
      sentinels: hosts(hostList, 26379),
      name: path || "mymaster",
      db: Number(params.get("db") ?? 0),
      ...(password ? { password, sentinelPassword: password } : {}),
    });
  }
  return new Redis(url, common);
}

/** PING with a timeout: true when Redis answers. */
export async function redisAnswers(client: RedisClient, timeoutMs = 1_000): Promise<boolean> {
  if (client.status !== "ready") return false;
  try {
    return (await withTimeout(client.ping(), timeoutMs, "PING")) === "PONG";
  } catch {
    return false;
  }
}

/** Redis could not be reached (not connected, or gave up connecting). */
export class RedisUnavailableError extends Error {
  constructor(
    readonly status: string,
    readonly url?: string,
  ) {
    super(`Redis${url ? ` at ${url}` : ""} is not reachable (client status: ${status})`);
    this.name = "RedisUnavailableError";
  }
}

/**
 * Resolves true once the client is connected, false after `timeoutMs` or as soon as the client has
 * given up (status "end"). The clients fail commands fast while (re)connecting (no offline queue),
 * so a process that wants to start with Redis waits here first instead of treating the first
 * connect as an outage.
 */
export async function waitUntilReady(client: RedisClient, timeoutMs: number): Promise<boolean> {
  if (client.status === "ready") return true;
  if (client.status === "end") return false;
  return new Promise<boolean>((resolve) => {
    const done = (ready: boolean) => {
      clearTimeout(timer);
      client.off("ready", onReady);
      client.off("end", onEnd);
      resolve(ready);
    };
    const onReady = () => done(true);
    const onEnd = () => done(false);
    const timer = setTimeout(() => done(false), timeoutMs);
    client.on("ready", onReady);
    client.on("end", onEnd);
  });
}

/** waitUntilReady, throwing RedisUnavailableError when Redis is not there in time (tools that cannot work without it). */
export async function requireReady(client: RedisClient, timeoutMs: number, url?: string): Promise<void> {
  if (!(await waitUntilReady(client, timeoutMs))) throw new RedisUnavailableError(client.status, url);
}
