import { execFile } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { EXPERIMENTS } from "../src/chaos/experiments/index.js";
import { useEnvironment } from "../src/testing/index.js";
import { repositoryRoot } from "../src/up.js";
import { startMakeUp } from "./support/make-up.js";

const scriptsDir = join(repositoryRoot(), "scripts/chaos");
const scripts = readdirSync(scriptsDir).filter((file) => file.endsWith(".sh") && file !== "lib.sh");
const SEED_GUARD_MESSAGE = "ERROR: CHAOS_ALLOWED not set. Aborting.";

async function runScript(script: string, env: Record<string, string | undefined>): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)("bash", [join(scriptsDir, script)], { env: { PATH: process.env.PATH, ...env }, timeout: 600_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failed.code === "number" ? failed.code : -1, stdout: failed.stdout ?? "", stderr: failed.stderr ?? "" };
  }
}

describe("scripts/chaos", () => {
  it("has one script per experiment of m10-chaos, seed 003's three among them", () => {
    expect(scripts.sort()).toEqual(EXPERIMENTS.map((e) => `${e.name}.sh`).sort());
    expect(scripts).toEqual(expect.arrayContaining(["redis_disconnect.sh", "db_connection_exhaustion.sh", "memory_pin_storm.sh"]));
  });

  it.each(scripts)("%s refuses to run unless CHAOS_ALLOWED=true, with the seed's message and exit 1", async (script) => {
    for (const allowed of [undefined, "", "false", "TRUE", "1"]) {
      const result = await runScript(script, { CHAOS_ALLOWED: allowed, M10_STACK_DIR: "/nonexistent" });
      expect(result.code, `CHAOS_ALLOWED=${String(allowed)}`).toBe(1);
      expect(result.stdout.trim()).toBe(SEED_GUARD_MESSAGE);
    }
  });
});

describe("scripts/chaos against a make up stack", () => {
  const stack = useEnvironment(async (defer) => {
    const up = await startMakeUp();
    defer(() => up.stop());
    return { dir: up.dir };
  });

  // The fast ones, shortened; each prints its report and ends with PASS on success.
  it.each([
    ["redis_disconnect.sh", { CHAOS_OUTAGE_SECONDS: "5" }],
    ["db_connection_exhaustion.sh", { CHAOS_HOLD_SECONDS: "5" }],
    ["memory_pin_storm.sh", {}],
    ["service_kill.sh", {}],
    ["postgres_restart.sh", {}],
  ] as const)("%s passes with CHAOS_ALLOWED=true", async (script, durations) => {
    const result = await runScript(script, { CHAOS_ALLOWED: "true", M10_STACK_DIR: stack.dir, ...durations });
    const name = script.replace(/\.sh$/, "");
    expect(result.stdout, result.stderr).toMatch(new RegExp(`^PASS ${name}: recovery \\d+\\.\\d s`, "m"));
    expect(result.stdout).not.toMatch(/^\s+FAILED/m);
    expect(result.code).toBe(0);
  }, 600_000);
});
