// `m10-devstack up` (what `make up` runs) in a temp dir of the test stack, as a child process.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { repositoryRoot } from "../../src/up.js";
import { testStack } from "../../src/testing/index.js";

export interface MakeUp {
  dir: string;
  child: ChildProcess;
  /** stack.env as a map. */
  env: Record<string, string>;
  /** Everything `up` printed so far. */
  output(): string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  /** Ctrl-C, then SIGKILL of anything left (the group and every process naming the dir). */
  stop(): Promise<number | null>;
}

export function processesMentioning(text: string): string[] {
  try {
    return execFileSync("pgrep", ["-af", text], { encoding: "utf8" })
      .split("\n")
      .filter((line) => line && !line.includes("pgrep"));
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

export async function startMakeUp(): Promise<MakeUp> {
  const dir = mkdtempSync(join(testStack().dir, "up-"));
  const child = spawn(process.execPath, [join(repositoryRoot(), "packages/devstack/bin/m10-devstack.js"), "up", "--dir", dir], {
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const stop = async () => {
    if (child.exitCode === null) process.kill(-(child.pid ?? 0), "SIGINT"); // what Ctrl-C sends to the foreground group
    const code = await Promise.race([exited, new Promise<"late">((resolve) => setTimeout(() => resolve("late"), 60_000))]);
    if (code === "late") process.kill(-(child.pid ?? 0), "SIGKILL");
    for (const line of processesMentioning(dir)) process.kill(Number(line.split(" ")[0]), "SIGKILL");
    return code === "late" ? null : code;
  };
  try {
    for (let waited = 0; !output.includes("M10 is up"); waited += 200) {
      if (child.exitCode !== null || waited > 90_000) throw new Error(`make up did not come up:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  const env = Object.fromEntries(
    readFileSync(join(dir, "stack.env"), "utf8")
      .trim()
      .split("\n")
      .map((line) => line.replace(/^export /, "").split(/=(.*)/s).slice(0, 2) as [string, string]),
  );
  return { dir, child, env, output: () => output, exited, stop };
}
