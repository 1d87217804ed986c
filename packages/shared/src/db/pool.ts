import pg from "pg";
import type { Logger } from "pino";
import { withTimeout } from "../async/timeout.js";

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;
/** Anything that runs a query: the pool itself or a client inside a transaction. */
export type Queryable = Pick<pg.Pool, "query"> | pg.PoolClient;

export interface PoolConfig {
  DATABASE_URL: string;
  M10_DB_POOL_MAX: number;
  M10_DB_CONNECT_TIMEOUT_MS: number;
  M10_DB_STATEMENT_TIMEOUT_MS: number;
  /** Client-side limit of one query (pg's query_timeout); absent: DEFAULT_QUERY_TIMEOUT_MS. */
  M10_DB_QUERY_TIMEOUT_MS?: number | undefined;
}

/**
 * A query whose answer has not arrived after this long fails on the client even when the server
 * never answers (network partition, a stuck backend), which statement_timeout cannot cover.
 */
export const DEFAULT_QUERY_TIMEOUT_MS = 60_000;

// timestamptz and bigint come back as strings by default; M10 uses Date and number (ids stay far below 2^53).
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

export function createPool(config: PoolConfig, logger: Logger, applicationName: string): pg.Pool {
  const queryTimeout = config.M10_DB_QUERY_TIMEOUT_MS ?? DEFAULT_QUERY_TIMEOUT_MS;
  const pool = new pg.Pool({
    connectionString: config.DATABASE_URL,
    max: config.M10_DB_POOL_MAX,
    connectionTimeoutMillis: config.M10_DB_CONNECT_TIMEOUT_MS,
    idleTimeoutMillis: 30_000,
    application_name: applicationName,
    ...(config.M10_DB_STATEMENT_TIMEOUT_MS > 0 ? { statement_timeout: config.M10_DB_STATEMENT_TIMEOUT_MS } : {}),
    ...(queryTimeout > 0 ? { query_timeout: queryTimeout } : {}),
    keepAlive: true,
  });
  // An idle client losing its server (PostgreSQL restarted) must not crash the process; the pool
  // discards it and the next query reconnects.
  pool.on("error", (error) => logger.warn({ err: error }, "db.idle_client_error"));
  return pool;
}

/** SELECT 1 with a timeout: true when PostgreSQL answers (readiness checks never hang on a dead pool). */
export async function databaseAnswers(pool: Queryable, timeoutMs: number): Promise<boolean> {
  try {
    await withTimeout(pool.query("SELECT 1"), timeoutMs, "SELECT 1");
    return true;
  } catch {
    return false;
  }
}
