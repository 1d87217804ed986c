// @m10/shared: what every M10 service stands on. This file is the package's whole interface:
// nothing outside the package imports any other file of it (test/package-boundaries.test.ts).
export * from "./config/index.js";
export * from "./db/index.js";
export * from "./redis/index.js";
export * from "./outbox/index.js";
export * from "./queue/index.js";
export * from "./observability/index.js";
export * from "./lifecycle/index.js";
export * from "./async/index.js";
export * from "./auth/index.js";
export { type BuildInfo, versionText } from "./build-info.js";
export { errorMessage } from "./error-message.js";
export { truncateCodePoints } from "./text.js";
export { nonNegativeSeconds, port, positiveInt, positiveSeconds } from "./cli-options.js";
