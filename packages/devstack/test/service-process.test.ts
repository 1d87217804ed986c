import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startService, waitUntil } from "../src/testing/service-process.js";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("startService", () => {
  it("kills a service that does not answer /health in time, so no process outlives a failed start", { timeout: 90_000 }, async () => {
    const pidFile = join(mkdtempSync(join(tmpdir(), "m10-service-")), "pid");

    await expect(startService("packages/devstack/test/fixtures/never-healthy.js", { PID_FILE: pidFile }, [], 20_000)).rejects.toThrow(/did not become ready within 20000 ms/);

    const pid = Number(readFileSync(pidFile, "utf8"));
    expect(pid).toBeGreaterThan(0);
    await waitUntil("the service process to be gone", () => !alive(pid), { timeoutMs: 30_000 });
  });
});
