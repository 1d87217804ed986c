import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { binary } from "./binaries.js";
import { ManagedProcess } from "./managed-process.js";
import { freePort } from "./ports.js";
import { createRedis } from "./redis.js";
import { infoFields, redisCli } from "./redis-cli.js";
import { serverFrom, type DevServer } from "./server.js";
import { tcpExchange, waitFor } from "./wait.js";

export interface RedisSentinelOptions {
  dir: string;
  /** The monitored master's name (the path of a redis-sentinel:// URL). */
  masterName?: string;
  /** How long a silent master is "down" before the sentinels fail over (ms). */
  downAfterMs?: number;
}

export interface RedisSentinelSetup {
  /** The initial master and its replica; after a failover the roles are swapped. */
  master: DevServer;
  replica: DevServer;
  sentinels: DevServer[];
  masterName: string;
  /** redis-sentinel://127.0.0.1:s1,127.0.0.1:s2,127.0.0.1:s3/<master name> (the REDIS_URL form M10 reads). */
  url: string;
  /** The port the sentinels name as master right now. */
  currentMasterPort(): Promise<number>;
  stop(): Promise<void>;
}

async function createSentinel(dir: string, port: number, masterName: string, masterPort: number, downAfterMs: number): Promise<DevServer> {
  mkdirSync(dir, { recursive: true });
  const configFile = join(dir, "sentinel.conf");
  // Sentinel rewrites its configuration file (known replicas and sentinels, epochs): it must be writable.
  writeFileSync(
    configFile,
    [
      `port ${port}`,
      "bind 127.0.0.1",
      `dir ${dir}`,
      `sentinel monitor ${masterName} 127.0.0.1 ${masterPort} 2`,
      `sentinel down-after-milliseconds ${masterName} ${downAfterMs}`,
      `sentinel failover-timeout ${masterName} 10000`,
      `sentinel parallel-syncs ${masterName} 1`,
      "",
    ].join("\n"),
  );
  const proc = new ManagedProcess({
    command: binary("redis-server", "redis-server"),
    args: [configFile, "--sentinel"],
    logFile: join(dir, "sentinel.log"),
  });
  const ready = () => waitFor("Redis Sentinel", async () => (await tcpExchange(port, "PING\r\n")).startsWith("+PONG"));
  const server = serverFrom("redis", port, `redis://127.0.0.1:${port}`, proc, ready);
  await server.start();
  return server;
}

/**
 * A master, one replica and three sentinels (quorum 2) from the machine's redis-server, on free
 * ports; ready once the replica is in sync and every sentinel sees the replica and the other two
 * sentinels, so killing the master right away fails over.
 */
export async function startRedisSentinel(options: RedisSentinelOptions): Promise<RedisSentinelSetup> {
  const masterName = options.masterName ?? "mymaster";
  const downAfterMs = options.downAfterMs ?? 1_000;
  const started: DevServer[] = [];
  try {
    const master = await createRedis({ dir: join(options.dir, "master"), port: await freePort(), durable: false });
    started.push(master);
    const replica = await createRedis({
      dir: join(options.dir, "replica"),
      port: await freePort(),
      durable: false,
      extraArgs: ["--replicaof", "127.0.0.1", String(master.port)],
    });
    started.push(replica);
    const sentinels: DevServer[] = [];
    for (let i = 0; i < 3; i++) {
      const sentinel = await createSentinel(join(options.dir, `sentinel-${i}`), await freePort(), masterName, master.port, downAfterMs);
      started.push(sentinel);
      sentinels.push(sentinel);
    }
    await waitFor(
      "Redis Sentinel",
      async () => {
        if (infoFields(await redisCli(replica.port, ["INFO", "replication"])).get("master_link_status") !== "up") return false;
        for (const sentinel of sentinels) {
          const fields = (await redisCli(sentinel.port, ["SENTINEL", "MASTER", masterName])).trim().split(/\r?\n/);
          const value = (name: string) => fields[fields.indexOf(name) + 1];
          if (value("num-slaves") !== "1" || value("num-other-sentinels") !== "2") return false;
        }
        return true;
      },
      60_000,
      200,
    );
    return {
      master,
      replica,
      sentinels,
      masterName,
      url: `redis-sentinel://${sentinels.map((sentinel) => `127.0.0.1:${sentinel.port}`).join(",")}/${masterName}`,
      async currentMasterPort() {
        const live = sentinels.find((sentinel) => sentinel.running);
        if (!live) throw new Error("no sentinel is running");
        const [, port] = (await redisCli(live.port, ["SENTINEL", "GET-MASTER-ADDR-BY-NAME", masterName])).trim().split(/\r?\n/);
        return Number(port);
      },
      stop: async () => {
        await Promise.all(started.map((server) => server.stop()));
      },
    };
  } catch (error) {
    await Promise.all(started.map((server) => server.stop()));
    throw error;
  }
}
