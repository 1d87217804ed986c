import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, readdirSync, readFileSync, type WriteStream } from "node:fs";

export interface ProcessSpec {
  command: string;
  args: string[];
  logFile: string;
  uid?: number;
  gid?: number;
  env?: NodeJS.ProcessEnv;
}

/**
 * One server process in its own process group. kill() also signals every descendant by pid:
 * PostgreSQL's backends call setsid(), so a group signal misses them, and a backend that outlived
 * its killed postmaster could still commit the next query on its connection.
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

  /** A signal to the whole group, e.g. SIGSTOP/SIGCONT: a hang, for chaos scripts. */
  signal(signal: NodeJS.Signals): void {
    if (this.running) this.signalGroup(signal);
  }

  killSync(): void {
    if (this.running) this.signalGroup("SIGKILL");
  }

  private signalGroup(signal: NodeJS.Signals): void {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    if (signal === "SIGKILL") {
      for (const descendant of descendantsOf(pid)) {
        try {
          process.kill(descendant, signal);
        } catch {
          // already gone
        }
      }
    }
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

/** Pids of the live descendants of `root`, read from /proc (empty where there is no /proc). */
function descendantsOf(root: number): number[] {
  const childrenOf = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = readdirSync("/proc").filter((entry) => /^\d+$/.test(entry));
  } catch {
    return [];
  }
  for (const entry of entries) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so read after the last ")".
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      childrenOf.set(ppid, [...(childrenOf.get(ppid) ?? []), Number(entry)]);
    } catch {
      // exited while we looked
    }
  }
  const found: number[] = [];
  const queue = [root];
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    for (const child of childrenOf.get(pid) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}
