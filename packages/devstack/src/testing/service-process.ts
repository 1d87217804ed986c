import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { freePort } from "../ports.js";
import { repositoryRoot } from "../up.js";
import { waitUntil } from "./wait.js";

// The bench imports this entry point (it cannot load vitest, which ./index.ts needs), so the one
// wait-for-a-condition helper is exported here too.
export { waitUntil, type WaitOptions } from "./wait.js";

export interface RunningService {
  url: string;
  port: number;
  child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Sends `signal` and resolves with the exit code (or the signal name) once it exits. */
  stop(signal?: NodeJS.Signals): Promise<number | string>;
  exited: Promise<number | string>;
}

/**
 * Starts a built service (its bin under the repository) as a real process with a health server on
 * a free port, and waits until /health answers (SIGKILLs it when it does not within `healthTimeoutMs`: 90 s
 * by default, since a loaded 2-core machine starting several services at once has taken longer than 30).
 */
export async function startService(bin: string, env: Record<string, string>, args: string[] = [], healthTimeoutMs = 90_000): Promise<RunningService> {
  const port = await freePort();
  let output = "";
  const child = spawn(process.execPath, [join(repositoryRoot(), bin), ...args], {
    env: { ...process.env, LOG_LEVEL: "info", PORT: String(port), M10_HEALTH_PORT: String(port), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  const exited = new Promise<number | string>((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal ?? -1)));
  const url = `http://127.0.0.1:${port}`;
  await waitUntil(
    `${bin} /health`,
    async () => {
      if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}: ${output}`);
      const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1_000) }).catch(() => undefined);
      return response?.ok === true;
    },
    { timeoutMs: healthTimeoutMs },
  ).catch((error: unknown) => {
    child.kill("SIGKILL");
    throw new Error(`${error instanceof Error ? error.message : String(error)}\noutput:\n${output.slice(-4_000)}`);
  });
  return {
    url,
    port,
    child,
    output: () => output,
    exited,
    stop: async (signal = "SIGTERM") => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
