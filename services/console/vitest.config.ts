import { m10VitestConfig } from "@m10/devstack/vitest";

// A real browser against a seeded stack on a shared, loaded machine: generous per-test time.
export default m10VitestConfig({ testTimeout: 120_000 });
