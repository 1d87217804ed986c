import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { binary } from "./binaries.js";

const run = promisify(execFile);

/** One redis-cli invocation against 127.0.0.1:port; resolves with its output (the reply as text). */
export async function redisCli(port: number, args: string[], timeoutMs = 10_000): Promise<string> {
  const { stdout } = await run(binary("redis-cli", "redis-tools"), ["-h", "127.0.0.1", "-p", String(port), ...args], { timeout: timeoutMs });
  return stdout;
}

/** The `field:value` lines of an INFO or CLUSTER INFO reply. */
export function infoFields(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  return fields;
}
