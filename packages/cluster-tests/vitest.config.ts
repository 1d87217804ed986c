import { m10VitestConfig } from "@m10/devstack/vitest";

// Clusters take seconds to form and the scenarios run thousands of items through real processes.
export default m10VitestConfig({ include: ["test/**/*.cluster.test.ts"], testTimeout: 600_000 });
