import { readFileSync } from "node:fs";

// Resource use of a process, read from /proc (Linux).

/** Resident set size of a process in MB. */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

/** CPU time (user + system) a process has used so far in ms, from /proc/<pid>/stat (100 ticks/s). */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // The fields after the command name (which may hold spaces); utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Samples a process's RSS every `intervalMs` until stopped; returns the peak. */
export function watchRss(pid: number, intervalMs = 250): { stop(): number } {
  let peak = rssMb(pid);
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, rssMb(pid));
    } catch {
      // the process ended
    }
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      return peak;
    },
  };
}

/** CPU seconds and peak RSS of each named process from now until `stop()`. */
export function watchProcesses(pids: Record<string, number>): { stop(): Record<string, { cpu_seconds: number; peak_rss_mb: number }> } {
  const watched = Object.entries(pids).map(([name, pid]) => ({ name, pid, cpuBefore: cpuMs(pid), rss: watchRss(pid) }));
  return {
    stop: () =>
      Object.fromEntries(
        watched.map(({ name, pid, cpuBefore, rss }) => [
          name,
          { cpu_seconds: Math.round(cpuMs(pid) - cpuBefore) / 1000, peak_rss_mb: Math.round(rss.stop() * 10) / 10 },
        ]),
      ),
  };
}
