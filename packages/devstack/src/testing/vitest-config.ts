import { fileURLToPath } from "node:url";
import { defineConfig, type ViteUserConfig } from "vitest/config";

/**
 * The vitest configuration every M10 package uses: the devstack global setup (real servers on
 * free ports), one file at a time (test files share those servers), generous timeouts for I/O.
 */
export function m10VitestConfig(overrides: { withStack?: boolean; testTimeout?: number } = {}): ViteUserConfig {
  const withStack = overrides.withStack ?? true;
  return defineConfig({
    test: {
      include: ["test/**/*.test.ts"],
      globalSetup: withStack ? [fileURLToPath(new URL("./global-setup.js", import.meta.url))] : [],
      fileParallelism: !withStack,
      testTimeout: overrides.testTimeout ?? 60_000,
      hookTimeout: 120_000,
      pool: "forks",
    },
  });
}
