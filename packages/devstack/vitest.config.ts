import { m10VitestConfig } from "./dist/testing/vitest-config.js";

export default m10VitestConfig();
