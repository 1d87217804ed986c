import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { binary } from "./binaries.js";
import { ManagedProcess } from "./managed-process.js";
import { serverFrom, type DevServer } from "./server.js";
import { tcpExchange, waitFor } from "./wait.js";

export interface RedisOptions {
  dir: string;
  port: number;
  /** The handbook's durable settings (AOF, everysec, noeviction); tests run without persistence. */
  durable: boolean;
  extraArgs?: string[];
}

export const DURABLE_REDIS_ARGS = ["--appendonly", "yes", "--appendfsync", "everysec", "--maxmemory-policy", "noeviction"];

export async function createRedis(options: RedisOptions): Promise<DevServer> {
  mkdirSync(options.dir, { recursive: true });
  const persistence = options.durable ? DURABLE_REDIS_ARGS : ["--save", "", "--appendonly", "no"];
  const proc = new ManagedProcess({
    command: binary("redis-server", "redis-server"),
    args: ["--port", String(options.port), "--bind", "127.0.0.1", "--dir", options.dir, "--daemonize", "no", ...persistence, ...(options.extraArgs ?? [])],
    logFile: join(options.dir, "redis.log"),
  });
  const ready = () => waitFor("Redis", async () => (await tcpExchange(options.port, "PING\r\n")).startsWith("+PONG"));
  const server = serverFrom("redis", options.port, `redis://127.0.0.1:${options.port}`, proc, ready);
  await server.start();
  return server;
}
