// Runs the built m10ctl as a real process, as an operator would.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { streamKeysEnv, testStack, uniqueStreamKeys } from "@m10/devstack/testing";

const BIN = fileURLToPath(new URL("../../bin/m10ctl.js", import.meta.url));

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function m10ctl(args: string[], env: Record<string, string | undefined>): Promise<CliRun> {
  const merged: Record<string, string | undefined> = { ...process.env, LOG_LEVEL: "warn", ...env };
  for (const [key, value] of Object.entries(merged)) if (value === undefined) delete merged[key];
  const child = spawn(process.execPath, [BIN, ...args], { env: merged as NodeJS.ProcessEnv, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  return new Promise((resolve) => child.once("close", (code) => resolve({ code, stdout, stderr })));
}

/** m10ctl <args> --json, parsed; throws with the output when stdout is not one JSON document. */
export async function m10ctlJson<T = Record<string, unknown>>(args: string[], env: Record<string, string | undefined>): Promise<CliRun & { json: T }> {
  const run = await m10ctl([...args, "--json"], env);
  try {
    return { ...run, json: JSON.parse(run.stdout) as T };
  } catch {
    throw new Error(`m10ctl ${args.join(" ")}: stdout is not JSON (exit ${run.code})\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
  }
}

/** The environment variables naming stream keys of this test alone. */
export function uniqueKeys(): ReturnType<typeof streamKeysEnv> {
  return streamKeysEnv(uniqueStreamKeys());
}

export function cliEnv(databaseUrl: string | undefined, extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return { DATABASE_URL: databaseUrl, REDIS_URL: testStack().redisUrl, ...extra };
}
