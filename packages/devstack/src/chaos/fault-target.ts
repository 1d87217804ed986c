// How a fault reaches the stack: through `make up`'s control socket, or through docker compose
// (whose services restart by themselves, `restart: unless-stopped`, as `make up`'s do).
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { controlRequest, type ControlAction, type ProcessStatus } from "../control.js";
import type { ChaosConfig } from "./config.js";

export const SERVICES = ["ingest", "claim-worker", "outbox-processor", "orchestrator", "metrics-collector"] as const;
export type ProcessName = (typeof SERVICES)[number] | "postgres" | "redis" | "nats";

export interface FaultTarget {
  describe: string;
  /** stop: graceful and held down; start: back; kill: SIGKILL (services come back by themselves); pause/resume: SIGSTOP/SIGCONT. */
  act(name: ProcessName, action: ControlAction): Promise<void>;
  /** The process's pid where the target knows it (undefined under compose or when down). */
  pid(name: ProcessName): Promise<number | undefined>;
}

function devstackTarget(socketPath: string): FaultTarget {
  return {
    describe: `make up stack (control socket ${socketPath})`,
    act: async (name, action) => {
      await controlRequest(socketPath, "POST", `/processes/${name}/${action}`);
    },
    pid: async (name) => (await controlRequest<ProcessStatus[]>(socketPath, "GET", "/processes")).find((p) => p.name === name)?.pid,
  };
}

// Docker treats a `docker kill` as a manual stop and does not apply the restart policy, so a
// crash of a service is followed by a start, which is what compose's policy does after a real crash.
const COMPOSE_COMMANDS: Record<ControlAction, (name: ProcessName) => string[][]> = {
  stop: (name) => [["stop", name]],
  start: (name) => [["start", name]],
  kill: (name) => [["kill", "-s", "SIGKILL", name], ...((SERVICES as readonly string[]).includes(name) ? [["start", name]] : [])],
  pause: (name) => [["pause", name]],
  resume: (name) => [["unpause", name]],
};

function composeTarget(composeFile: string): FaultTarget {
  const run = promisify(execFile);
  return {
    describe: `docker compose (${composeFile})`,
    act: async (name, action) => {
      for (const command of COMPOSE_COMMANDS[action](name)) await run("docker", ["compose", "-f", composeFile, ...command]);
    },
    pid: async () => undefined,
  };
}

export function faultTarget(config: ChaosConfig): FaultTarget {
  return config.target === "compose" ? composeTarget(config.composeFile) : devstackTarget(config.controlSocket);
}
