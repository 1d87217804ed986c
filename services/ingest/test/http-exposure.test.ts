// Issue 11 items 16 and 17 on the ingest API: no client holds a connection forever (request,
// header, keep-alive and idle timeouts), and /health/detailed runs its queries once per cache
// period however many ask.
import { connect, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { waitUntil } from "@m10/devstack/testing";
import { describe, expect, it } from "vitest";
import { ADMIN_TOKEN, bearer, MACHINE_TOKEN, startTestApp, useTestApp } from "./support/test-app.js";

interface Trickle {
  closedAfterMs: () => number | undefined;
  received: () => string;
  stop: () => void;
}

/** Sends `head` then one byte of `drip` every 100 ms (for at most 8 s), recording when the server closes the socket. */
function trickle(port: number, head: string, drip: string): Trickle {
  const started = Date.now();
  let closedAt: number | undefined;
  let received = "";
  const socket: Socket = connect(port, "127.0.0.1", () => socket.write(head));
  socket.setEncoding("utf8");
  socket.on("data", (chunk: string) => (received += chunk));
  socket.on("error", () => undefined);
  socket.on("close", () => (closedAt = Date.now()));
  let sent = 0;
  const timer = setInterval(() => {
    if (closedAt !== undefined || Date.now() - started > 8_000) return clearInterval(timer);
    socket.write(drip[sent % drip.length] ?? "x");
    sent += 1;
  }, 100);
  return {
    closedAfterMs: () => (closedAt === undefined ? undefined : closedAt - started),
    received: () => received,
    stop: () => {
      clearInterval(timer);
      socket.destroy();
    },
  };
}

const defaults = useTestApp();

describe("ingest HTTP timeouts", () => {
  it("has request, header, keep-alive and idle timeouts by default", () => {
    const server = defaults.app.server;
    expect(server.requestTimeout).toBe(30_000);
    expect(server.headersTimeout).toBe(10_000);
    expect(server.keepAliveTimeout).toBe(72_000);
    expect(server.timeout).toBe(120_000);
  });

  it("answers 408 and closes a client that trickles its body (slow loris) within the request timeout", async () => {
    const t = await startTestApp({ env: { M10_HTTP_REQUEST_TIMEOUT_MS: "1500", M10_HTTP_HEADERS_TIMEOUT_MS: "1000" } });
    try {
      await t.app.listen({ port: 0, host: "127.0.0.1" });
      const port = (t.app.server.address() as AddressInfo).port;
      const head = `POST /api/v1/recovery/ingest HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${MACHINE_TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"raw": "`;
      const client = trickle(port, head, "slowly");
      try {
        await waitUntil("the server to close the trickling connection", () => client.closedAfterMs() !== undefined, { timeoutMs: 6_000 });
        expect(client.closedAfterMs()).toBeLessThan(4_000);
        expect(client.received()).toMatch(/^HTTP\/1\.1 408/);
      } finally {
        client.stop();
      }
    } finally {
      await t.close();
    }
  });

  it("closes a client that trickles its headers within the header timeout", async () => {
    const t = await startTestApp({ env: { M10_HTTP_REQUEST_TIMEOUT_MS: "5000", M10_HTTP_HEADERS_TIMEOUT_MS: "800" } });
    try {
      await t.app.listen({ port: 0, host: "127.0.0.1" });
      const port = (t.app.server.address() as AddressInfo).port;
      const client = trickle(port, "GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ", "abcdefgh");
      try {
        await waitUntil("the server to close the trickling connection", () => client.closedAfterMs() !== undefined, { timeoutMs: 6_000 });
        expect(client.closedAfterMs()).toBeLessThan(3_000);
        expect(client.received()).toMatch(/^HTTP\/1\.1 408/);
      } finally {
        client.stop();
      }
    } finally {
      await t.close();
    }
  });
});

describe("/health/detailed", () => {
  it("runs its checks and count query once for a burst of requests within the cache period, then again after it", async () => {
    const t = await startTestApp({ env: { M10_HEALTH_DETAILED_CACHE_MS: "1500" } });
    try {
      // Counts the queue-depth queries on the real pool.
      let countQueries = 0;
      const query = t.pool.query.bind(t.pool) as (...args: unknown[]) => unknown;
      (t.pool as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
        if (typeof args[0] === "string" && args[0].includes("count(*)")) countQueries += 1;
        return query(...args);
      };
      const get = () => t.app.inject({ method: "GET", url: "/health/detailed", headers: bearer(ADMIN_TOKEN) });

      const burst = await Promise.all(Array.from({ length: 25 }, get));
      expect(burst.every((r) => r.statusCode === 200)).toBe(true);
      expect(new Set(burst.map((r) => r.json().checked_at as string)).size).toBe(1);
      expect(countQueries).toBe(1);

      const first = burst[0]?.json().checked_at as string;
      await waitUntil("a fresh check after the cache period", async () => (await get()).json().checked_at !== first, { timeoutMs: 5_000, intervalMs: 200 });
      expect(countQueries).toBe(2);
    } finally {
      await t.close();
    }
  });
});
