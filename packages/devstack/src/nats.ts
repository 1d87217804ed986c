import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { binary } from "./binaries.js";
import { ManagedProcess } from "./managed-process.js";
import { serverFrom, type DevServer } from "./server.js";
import { tcpExchange, waitFor } from "./wait.js";

export interface NatsOptions {
  dir: string;
  port: number;
}

export async function createNats(options: NatsOptions): Promise<DevServer> {
  const storeDir = join(options.dir, "jetstream");
  mkdirSync(storeDir, { recursive: true });
  const proc = new ManagedProcess({
    command: binary("nats-server", "nats-server"),
    args: ["-a", "127.0.0.1", "-p", String(options.port), "-js", "-sd", storeDir],
    logFile: join(options.dir, "nats.log"),
  });
  const ready = () => waitFor("NATS", async () => (await tcpExchange(options.port, undefined)).startsWith("INFO"));
  const server = serverFrom("nats", options.port, `nats://127.0.0.1:${options.port}`, proc, ready);
  await server.start();
  return server;
}
