export { createPool, type Pool, type PoolClient, type PoolConfig, type Queryable } from "./pool.js";
export { TransactionCancelledError, withTransaction } from "./transaction.js";
export { isDatabaseUnavailable, isUniqueViolation, UNIQUE_VIOLATION } from "./errors.js";
export * as locks from "./locks.js";
