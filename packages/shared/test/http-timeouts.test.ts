// Issue 11 items 16 and 17 on the health/metrics server of claim-worker, outbox-processor,
// orchestrator and metrics-collector, and on the shared pool: loopback by default, a slow-loris
// client is cut off, /health/detailed is cheap, and a query that takes too long fails.
import { connect } from "node:net";
import { waitUntil } from "@m10/devstack/testing";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { claimWorkerConfigSchema, metricsCollectorConfigSchema, orchestratorConfigSchema, outboxProcessorConfigSchema } from "../src/config/index.js";
import { databaseEnv, httpServerEnv } from "../src/config/common.js";
import { parseEnv } from "../src/config/env.js";
import { createPool } from "../src/db/pool.js";
import { startHealthServer } from "../src/observability/health-server.js";
import { createLogger } from "../src/observability/logger.js";
import { useTestEnvironment } from "./support/environment.js";

const logger = createLogger("health-test", "silent");
const base = { DATABASE_URL: "postgres://nobody@127.0.0.1:1/none" };
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function healthServer(env: Record<string, string>, detailed?: () => Promise<Record<string, unknown>>) {
  const http = parseEnv(z.object(httpServerEnv), env);
  const server = await startHealthServer({ service: "test", host: "127.0.0.1", port: 0, registry: new Registry(), logger, http, ...(detailed ? { detailed } : {}) });
  closers.push(server.close);
  return server;
}

describe("health/metrics servers", () => {
  it("bind loopback by default in every service that has one", () => {
    for (const schema of [claimWorkerConfigSchema, outboxProcessorConfigSchema, orchestratorConfigSchema, metricsCollectorConfigSchema]) {
      expect(parseEnv(schema, base).M10_HEALTH_HOST).toBe("127.0.0.1");
    }
  });

  it("answer 408 and close a client that trickles its headers (slow loris) within the header timeout", async () => {
    const server = await healthServer({ M10_HTTP_REQUEST_TIMEOUT_MS: "2000", M10_HTTP_HEADERS_TIMEOUT_MS: "600" });
    const started = Date.now();
    let closedAfter: number | undefined;
    let received = "";
    const socket = connect(server.port, "127.0.0.1", () => socket.write("GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: "));
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => (received += chunk));
    socket.on("error", () => undefined);
    socket.on("close", () => (closedAfter = Date.now() - started));
    const drip = setInterval(() => socket.writable && socket.write("a"), 100);
    try {
      await waitUntil("the server to close the trickling connection", () => closedAfter !== undefined, { timeoutMs: 6_000 });
      expect(closedAfter).toBeLessThan(3_000);
      expect(received).toMatch(/^HTTP\/1\.1 408/);
    } finally {
      clearInterval(drip);
      socket.destroy();
    }
  });

  it("run /health/detailed's checks once for a burst within M10_HEALTH_DETAILED_CACHE_MS, and again after it", async () => {
    let runs = 0;
    const server = await healthServer({ M10_HEALTH_DETAILED_CACHE_MS: "1000" }, async () => {
      runs += 1;
      await new Promise((resolve) => setTimeout(resolve, 50));
      return { depth: runs };
    });
    const get = async () => (await (await fetch(`${server.url}/health/detailed`)).json()) as { depth: number; checked_at: string };

    const burst = await Promise.all(Array.from({ length: 20 }, get));
    expect(runs).toBe(1);
    expect(new Set(burst.map((b) => b.checked_at)).size).toBe(1);
    expect((await get()).depth).toBe(1);

    await waitUntil("a fresh check after the cache period", async () => (await get()).depth === 2, { timeoutMs: 5_000, intervalMs: 200 });
    expect(runs).toBe(2);
  });
});

describe("the shared pool", () => {
  const t = useTestEnvironment();

  it("has a statement timeout and a client-side query timeout by default", () => {
    const config = parseEnv(z.object(databaseEnv), base);
    expect(config).toMatchObject({ M10_DB_STATEMENT_TIMEOUT_MS: 30_000, M10_DB_QUERY_TIMEOUT_MS: 60_000 });
    const pool = createPool(config, logger, "timeout-test");
    closers.push(() => pool.end());
    expect(pool.options).toMatchObject({ statement_timeout: 30_000, query_timeout: 60_000 });
  });

  it("fails a query that outlives M10_DB_QUERY_TIMEOUT_MS with an error instead of waiting for it", async () => {
    const pool = createPool({ DATABASE_URL: t.db.url, M10_DB_POOL_MAX: 2, M10_DB_CONNECT_TIMEOUT_MS: 5_000, M10_DB_STATEMENT_TIMEOUT_MS: 0, M10_DB_QUERY_TIMEOUT_MS: 300 }, logger, "timeout-test");
    closers.push(() => pool.end());
    const started = Date.now();
    await expect(pool.query("SELECT pg_sleep(3)")).rejects.toThrow(/timeout/i);
    expect(Date.now() - started).toBeLessThan(2_000);
    // The pool still serves the next query.
    expect((await pool.query<{ one: number }>("SELECT 1 AS one")).rows[0]?.one).toBe(1);
  });

  it("cancels a statement that outlives M10_DB_STATEMENT_TIMEOUT_MS on the server", async () => {
    const pool = createPool({ DATABASE_URL: t.db.url, M10_DB_POOL_MAX: 2, M10_DB_CONNECT_TIMEOUT_MS: 5_000, M10_DB_STATEMENT_TIMEOUT_MS: 200 }, logger, "timeout-test");
    closers.push(() => pool.end());
    await expect(pool.query("SELECT pg_sleep(3)")).rejects.toThrow(/statement timeout/);
  });
});
