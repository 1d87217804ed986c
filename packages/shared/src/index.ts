// @m10/shared: the platform every M10 service stands on. Subpaths (@m10/shared/db, /redis, ...) give the same modules.
export * from "./config/index.js";
export * from "./db/index.js";
export * from "./redis/index.js";
export * from "./outbox/index.js";
export * from "./queue/index.js";
export * from "./nats/index.js";
export * from "./observability/index.js";
export * from "./lifecycle/index.js";
