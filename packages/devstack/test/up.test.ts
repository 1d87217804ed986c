import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isPortFree } from "../src/index.js";
import { repositoryRoot } from "../src/up.js";
import { testStack } from "../src/testing/index.js";

function processesMentioning(text: string): string[] {
  try {
    return execFileSync("pgrep", ["-af", text], { encoding: "utf8" })
      .split("\n")
      .filter((line) => line && !line.includes("pgrep"));
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

describe("m10-devstack up (make up)", () => {
  it("starts the servers and the five services, writes stack.env, and Ctrl-C leaves no process behind", async () => {
    const dir = mkdtempSync(join(testStack().dir, "up-"));
    const child = spawn(process.execPath, [join(repositoryRoot(), "packages/devstack/bin/m10-devstack.js"), "up", "--dir", dir], {
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    try {
      for (let waited = 0; !output.includes("M10 is up"); waited += 200) {
        if (child.exitCode !== null || waited > 90_000) throw new Error(`make up did not come up:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const env = Object.fromEntries(
        readFileSync(join(dir, "stack.env"), "utf8")
          .trim()
          .split("\n")
          .map((line) => line.replace(/^export /, "").split(/=(.*)/s).slice(0, 2) as [string, string]),
      );
      for (const key of ["DATABASE_URL", "REDIS_URL", "NATS_URL", "INGEST_URL", "CLAIM_WORKER_URL", "OUTBOX_PROCESSOR_URL", "ORCHESTRATOR_URL", "METRICS_COLLECTOR_URL", "M10_ADMIN_TOKEN", "M10_MACHINE_TOKEN"]) {
        expect(env[key], key).toBeTruthy();
      }
      for (const key of ["INGEST_URL", "CLAIM_WORKER_URL", "OUTBOX_PROCESSOR_URL", "ORCHESTRATOR_URL", "METRICS_COLLECTOR_URL"]) {
        const response = await fetch(`${env[key]}/health`);
        expect(response.status, key).toBe(200);
      }
      const ingestPort = Number(new URL(env.INGEST_URL ?? "").port);

      process.kill(-(child.pid ?? 0), "SIGINT"); // what Ctrl-C sends to the foreground group
      expect(await exited).toBe(0);
      expect(processesMentioning(dir)).toEqual([]);
      expect(await isPortFree(ingestPort)).toBe(true);
    } finally {
      if (child.exitCode === null) process.kill(-(child.pid ?? 0), "SIGKILL");
      for (const line of processesMentioning(dir)) process.kill(Number(line.split(" ")[0]), "SIGKILL");
    }
  }, 180_000);
});
