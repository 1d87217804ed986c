/**
 * The Redis durable and Sentinel configurations (run with the real redis-server) and the
 * /etc/m10/m10.env example. The compose file, the images and the systemd units have their own
 * tests (infra-compose, infra-images, infra-systemd).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  claimWorkerConfigSchema,
  createRedisClient,
  describeEnv,
  ingestConfigSchema,
  metricsCollectorConfigSchema,
  orchestratorConfigSchema,
  outboxProcessorConfigSchema,
  type RedisClient,
} from "@m10/shared";
import { freePort } from "@m10/devstack";
import { uniqueStreamKeys } from "@m10/devstack/testing";
import { afterAll, describe, expect, it } from "vitest";
import { readStreamGauges } from "../src/redis-source.js";
import { testRedis } from "./support/prepared-state.js";
import { INFRA } from "./support/repo-files.js";

/** A redis-server of this test, from a configuration file plus overrides; stopped in afterAll. */
async function startRedisServer(args: string[], cwd: string): Promise<{ child: ChildProcess; client: RedisClient; port: number }> {
  const port = await freePort();
  const child = spawn("redis-server", [...args, "--port", String(port)], { cwd, stdio: "ignore" });
  const client = testRedis(`redis://127.0.0.1:${port}/0`);
  await client.ping();
  return { child, client, port };
}

describe("infra/redis (with the real redis-server)", () => {
  const dir = mkdtempSync(join(tmpdir(), "m10-redis-conf-"));
  const children: ChildProcess[] = [];
  const clients: RedisClient[] = [];
  afterAll(async () => {
    for (const client of clients) client.disconnect();
    const running = children.filter((child) => child.exitCode === null && child.signalCode === null);
    const exited = running.map((child) => once(child, "exit"));
    for (const child of running) child.kill("SIGKILL");
    // Their files go once the servers are gone.
    await Promise.all(exited);
    rmSync(dir, { recursive: true, force: true });
  });

  it("redis-m10-durable.conf loads and keeps a stream across SHUTDOWN SAVE and a restart", async () => {
    const conf = join(INFRA, "redis/redis-m10-durable.conf");
    const first = await startRedisServer([conf, "--dir", dir], dir);
    children.push(first.child);
    clients.push(first.client);
    expect(await first.client.config("GET", "appendonly")).toEqual(["appendonly", "yes"]);
    expect(await first.client.config("GET", "appendfsync")).toEqual(["appendfsync", "everysec"]);
    expect(await first.client.config("GET", "maxmemory-policy")).toEqual(["maxmemory-policy", "noeviction"]);
    expect(await first.client.config("GET", "protected-mode")).toEqual(["protected-mode", "yes"]);
    await first.client.xadd("m10:durability:check", "*", "k", "v");
    const exited = new Promise((done) => first.child.once("exit", done));
    await first.client.call("SHUTDOWN", "SAVE").catch(() => undefined);
    await exited;

    const second = spawn("redis-server", [conf, "--dir", dir, "--port", String(first.port)], { cwd: dir, stdio: "ignore" });
    children.push(second);
    const client = testRedis(`redis://127.0.0.1:${first.port}/0`);
    clients.push(client);
    expect(await client.xlen("m10:durability:check")).toBe(1);
  });

  it("sentinel.conf finds the master, and the collector reads the stream through a redis-sentinel:// URL", async () => {
    const master = await startRedisServer([join(INFRA, "redis/redis-m10-durable.conf"), "--dir", dir], dir);
    children.push(master.child);
    clients.push(master.client);
    const sentinelConf = join(dir, "sentinel.conf");
    copyFileSync(join(INFRA, "redis/sentinel.conf"), sentinelConf);
    writeFileSync(sentinelConf, readFileSync(sentinelConf, "utf8").replace("m10-master 127.0.0.1 6379 2", `m10-master 127.0.0.1 ${master.port} 2`));
    const sentinel = await startRedisServer([sentinelConf, "--sentinel"], dir);
    children.push(sentinel.child);
    clients.push(sentinel.client);
    expect(await sentinel.client.call("SENTINEL", "get-master-addr-by-name", "m10-master")).toEqual(["127.0.0.1", String(master.port)]);

    const keys = uniqueStreamKeys();
    await master.client.xadd(keys.stream, "*", "candidate_id", "1");
    const viaSentinel = createRedisClient(`redis-sentinel://127.0.0.1:${sentinel.port}/m10-master`);
    viaSentinel.on("error", () => undefined);
    clients.push(viaSentinel);
    const gauges = await readStreamGauges(viaSentinel, { keys, activeWithinMs: 300_000, claimIdleMs: 60_000, pendingScanLimit: 100, connectWaitMs: 5_000 });
    expect(gauges.streamLength).toBe(1);
  });
});

describe("infra/systemd/m10.env.example", () => {
  it("sets DATABASE_URL and names only variables some service reads", () => {
    const text = readFileSync(join(INFRA, "systemd/m10.env.example"), "utf8");
    const named = [...text.matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1] ?? "");
    const known = new Set(
      [ingestConfigSchema, claimWorkerConfigSchema, outboxProcessorConfigSchema, orchestratorConfigSchema, metricsCollectorConfigSchema].flatMap((schema) =>
        describeEnv(schema).map((variable) => variable.name),
      ),
    );
    expect(named).toContain("DATABASE_URL");
    expect(named.filter((name) => !known.has(name))).toEqual([]);
  });
});
