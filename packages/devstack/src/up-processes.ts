// What `make up` owns: the three servers and the five services, by name. A service that exits
// unexpectedly is started again (as compose's `restart: unless-stopped` and systemd's
// `Restart=on-failure` do); one stopped through the control socket stays down until started.
import type { ControlAction, ControlledProcesses, ProcessStatus } from "./control.js";
import type { ManagedProcess } from "./managed-process.js";
import type { DevServer } from "./server.js";

/** What a server (DevServer) and a service (ManagedProcess, adapted) both offer. */
interface Runnable {
  /** Starts the process and resolves once it is up (servers) or spawned (services). */
  start(): Promise<void>;
  stop(): Promise<void>;
  kill(): Promise<void>;
  signal(signal: NodeJS.Signals): void;
  readonly pid: number | undefined;
  readonly running: boolean;
}

interface Entry {
  name: string;
  handle: Runnable;
  supervised: boolean;
  held: boolean;
  restarts: number;
}

export class UpProcesses implements ControlledProcesses {
  private readonly entries = new Map<string, Entry>();
  private supervisor: NodeJS.Timeout | undefined;

  constructor(private readonly say: (message: string) => void) {}

  addServer(server: DevServer): void {
    this.entries.set(server.name, { name: server.name, handle: server, supervised: false, held: false, restarts: 0 });
  }

  addService(name: string, proc: ManagedProcess): void {
    const handle: Runnable = {
      start: async () => proc.spawn(),
      stop: () => proc.stop("SIGTERM", 30_000),
      kill: () => proc.kill(),
      signal: (signal) => proc.signal(signal),
      get pid() {
        return proc.pid;
      },
      get running() {
        return proc.running;
      },
    };
    this.entries.set(name, { name, handle, supervised: true, held: false, restarts: 0 });
  }

  list(): ProcessStatus[] {
    return [...this.entries.values()].map(({ name, handle, held, restarts }) => ({ name, pid: handle.running ? handle.pid : undefined, running: handle.running, held, restarts }));
  }

  async act(name: string, action: ControlAction): Promise<void> {
    const entry = this.entries.get(name);
    if (!entry) throw new Error(`unknown process ${name}`);
    const { handle } = entry;
    this.say(`control: ${action} ${name}`);
    switch (action) {
      case "stop":
        entry.held = true;
        handle.signal("SIGCONT"); // a paused process cannot act on SIGTERM
        return handle.stop();
      case "start":
        entry.held = false;
        return handle.running ? undefined : handle.start();
      case "kill":
        // A crash: a supervised service comes back by itself, a server only when started.
        if (!entry.supervised) entry.held = true;
        return handle.kill();
      case "pause":
        return handle.signal("SIGSTOP");
      case "resume":
        return handle.signal("SIGCONT");
    }
  }

  /** Checks every second; `logFileOf` names the log a dead service's message points to. */
  supervise(logFileOf: (name: string) => string): void {
    this.supervisor = setInterval(() => {
      for (const entry of this.entries.values()) {
        if (entry.handle.running || entry.held) continue;
        if (!entry.supervised) {
          this.say(`${entry.name} exited; see ${logFileOf(entry.name)}`);
          entry.held = true; // reported once; `start` through the control socket brings it back
          continue;
        }
        entry.restarts += 1;
        this.say(`${entry.name} exited; restarting it (restart ${entry.restarts}; see ${logFileOf(entry.name)})`);
        void entry.handle.start();
      }
    }, 1_000);
    this.supervisor.unref();
  }

  /** Ends supervision and stops the services, then the servers. */
  async stopAll(): Promise<void> {
    clearInterval(this.supervisor);
    const all = [...this.entries.values()];
    for (const entry of all) entry.handle.signal("SIGCONT");
    await Promise.all(all.filter((e) => e.supervised).map((e) => e.handle.stop()));
    await Promise.all(all.filter((e) => !e.supervised).map((e) => e.handle.stop()));
  }
}
