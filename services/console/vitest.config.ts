import { m10VitestConfig } from "@m10/devstack/vitest";

export default m10VitestConfig();
