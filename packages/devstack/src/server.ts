import type { ManagedProcess } from "./managed-process.js";

export type ServerName = "postgres" | "redis" | "nats";

/** A real server this package runs: start it again after stop/kill to test recovery. */
export interface DevServer {
  readonly name: ServerName;
  readonly port: number;
  readonly url: string;
  readonly running: boolean;
  readonly pid: number | undefined;
  /** (Re)starts the server and waits until it answers. */
  start(): Promise<void>;
  /** Graceful stop (SIGTERM, SIGKILL after a deadline). */
  stop(): Promise<void>;
  /** SIGKILL: a crash. */
  kill(): Promise<void>;
  /** SIGSTOP / SIGCONT: a hang and its end. */
  signal(signal: NodeJS.Signals): void;
}

export function serverFrom(
  name: ServerName,
  port: number,
  url: string,
  proc: ManagedProcess,
  ready: () => Promise<void>,
  stopSignal: NodeJS.Signals = "SIGTERM",
): DevServer {
  return {
    name,
    port,
    url,
    get running() {
      return proc.running;
    },
    get pid() {
      return proc.pid;
    },
    async start() {
      proc.spawn();
      await ready();
    },
    stop: () => proc.stop(stopSignal),
    kill: () => proc.kill(),
    signal: (signal) => proc.signal(signal),
  };
}
