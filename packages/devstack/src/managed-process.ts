import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, type WriteStream } from "node:fs";

export interface ProcessSpec {
  command: string;
  args: string[];
  logFile: string;
  uid?: number;
  gid?: number;
  env?: NodeJS.ProcessEnv;
}

/**
 * One server process in its own process group, so kill() takes its children with it
 * (PostgreSQL backends must not outlive a killed postmaster).
 */
export class ManagedProcess {
  private child: ChildProcess | undefined;
  private log: WriteStream | undefined;
  private exited: Promise<void> = Promise.resolve();

  constructor(private readonly spec: ProcessSpec) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  spawn(): void {
    if (this.running) return;
    this.log = createWriteStream(this.spec.logFile, { flags: "a" });
    const child = spawn(this.spec.command, this.spec.args, {
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: this.spec.env ?? process.env,
      ...(this.spec.uid !== undefined ? { uid: this.spec.uid, gid: this.spec.gid } : {}),
    });
    child.stdout?.pipe(this.log, { end: false });
    child.stderr?.pipe(this.log, { end: false });
    this.exited = new Promise((resolve) => child.once("exit", () => resolve()));
    this.child = child;
    liveProcesses.add(this);
    void this.exited.then(() => liveProcesses.delete(this));
  }

  /** SIGTERM (or the given signal) to the group, SIGKILL after the deadline. */
  async stop(signal: NodeJS.Signals = "SIGTERM", deadlineMs = 15_000): Promise<void> {
    if (!this.running) return;
    this.signalGroup(signal);
    const timer = setTimeout(() => this.signalGroup("SIGKILL"), deadlineMs);
    await this.exited;
    clearTimeout(timer);
    this.log?.end();
  }

  /** SIGKILL to the whole group: a crash, for chaos tests. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.signalGroup("SIGKILL");
    await this.exited;
    this.log?.end();
  }

  killSync(): void {
    if (this.running) this.signalGroup("SIGKILL");
  }

  private signalGroup(signal: NodeJS.Signals): void {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // the group is already gone
    }
  }
}

const liveProcesses = new Set<ManagedProcess>();
// If the owner dies without stopping its servers, take them down with it.
process.once("exit", () => {
  for (const proc of liveProcesses) proc.killSync();
});
