import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig, type ViteUserConfig } from "vitest/config";

/**
 * Refuses to test on any Node but the one the repository pins in .node-version: a suite that ran
 * on the machine's Node 20 once passed while claiming Node 24. Every package's vitest config
 * calls this, so no test file runs on the wrong Node.
 */
export function assertPinnedNode(version: string = process.version): void {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, ".node-version")) && dirname(dir) !== dir) dir = dirname(dir);
  const pinFile = join(dir, ".node-version");
  if (!existsSync(pinFile)) throw new Error("assertPinnedNode: no .node-version above " + fileURLToPath(import.meta.url));
  const pinned = readFileSync(pinFile, "utf8").trim();
  if (version.replace(/^v/, "").split(".")[0] !== pinned) {
    throw new Error(`tests run on Node ${version} (${process.execPath}) but the repository pins Node ${pinned}: run them through make test or scripts/with-tools`);
  }
}

/**
 * The vitest configuration every M10 package uses: the devstack global setup (real servers on
 * free ports), one file at a time (test files share those servers), generous timeouts for I/O.
 */
export function m10VitestConfig(overrides: { withStack?: boolean; testTimeout?: number; include?: string[] } = {}): ViteUserConfig {
  assertPinnedNode();
  const withStack = overrides.withStack ?? true;
  return defineConfig({
    test: {
      // The cluster suites (test-cluster/, `make test-cluster`) pass their own include.
      include: overrides.include ?? ["test/**/*.test.ts"],
      globalSetup: withStack ? [fileURLToPath(new URL("./global-setup.js", import.meta.url))] : [],
      fileParallelism: !withStack,
      testTimeout: overrides.testTimeout ?? 60_000,
      hookTimeout: 120_000,
      pool: "forks",
    },
  });
}
