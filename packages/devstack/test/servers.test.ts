import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { createNats, createPostgres, createRedis, freePort, isPortFree, pickPort } from "../src/index.js";
import { tcpExchange } from "../src/wait.js";
import { testStack } from "../src/testing/index.js";

async function pgAnswers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
  try {
    await client.connect();
    return (await client.query("SELECT 1 AS one")).rows[0]?.one === 1;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

describe("devstack servers", () => {
  it("runs PostgreSQL that can be stopped, killed and started again with its data kept", async () => {
    const dir = mkdtempSync(join(testStack().dir, "pg-"));
    const server = await createPostgres({ dir, port: await freePort(), ephemeral: true, database: "m10" });
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    await client.query("CREATE TABLE kept (v int); INSERT INTO kept VALUES (42); CHECKPOINT");
    await client.end();
    // A connection open across the crash: its backend dies with the postmaster (backends call
    // setsid(), so a group signal alone would leave it to commit one more query).
    const held = new pg.Client({ connectionString: server.url });
    held.on("error", () => undefined);
    await held.connect();

    await server.kill();
    expect(server.running).toBe(false);
    await expect(held.query("INSERT INTO kept VALUES (7)")).rejects.toThrow();
    expect(await pgAnswers(server.url)).toBe(false);

    await server.start();
    const again = new pg.Client({ connectionString: server.url });
    await again.connect();
    expect((await again.query("SELECT v FROM kept")).rows).toEqual([{ v: 42 }]);
    await again.end();
    await server.stop();
    expect(await isPortFree(server.port)).toBe(true);
  });

  it("runs Redis and NATS that go down on kill and answer again after start", async () => {
    const base = testStack().dir;
    const redis = await createRedis({ dir: mkdtempSync(join(base, "redis-")), port: await freePort(), durable: false });
    const nats = await createNats({ dir: mkdtempSync(join(base, "nats-")), port: await freePort() });
    expect(await tcpExchange(redis.port, "PING\r\n")).toMatch(/^\+PONG/);
    expect(await tcpExchange(nats.port, undefined)).toMatch(/"jetstream":true/);

    await redis.kill();
    await nats.stop();
    await expect(tcpExchange(redis.port, "PING\r\n")).rejects.toThrow();
    await expect(tcpExchange(nats.port, undefined)).rejects.toThrow();

    await redis.start();
    await nats.start();
    expect(await tcpExchange(redis.port, "PING\r\n")).toMatch(/^\+PONG/);
    await Promise.all([redis.stop(), nats.stop()]);
  });

  it("falls back to a free port when the preferred one is taken", async () => {
    const taken = testStack().redisUrl.split(":").pop();
    const port = await pickPort(Number(taken));
    expect(port).not.toBe(Number(taken));
    expect(await isPortFree(port)).toBe(true);
  });
});
