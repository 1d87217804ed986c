// Helpers for test files: a fresh migrated database per file, the shared Redis and NATS, private
// servers for chaos tests that take one down, setup/teardown registration, waiting for a
// condition, unique stream keys and a Prometheus text parser.
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { inject } from "vitest";
import { createNats } from "../nats.js";
import { freePort } from "../ports.js";
import { createPostgres } from "../postgres.js";
import { createRedis } from "../redis.js";
import type { DevServer } from "../server.js";
import { type Defer, type EnvironmentOptions, useEnvironment } from "./environment.js";
import type { TestStackInfo } from "./info.js";

export type { TestStackInfo } from "./info.js";

export function testStack(): TestStackInfo {
  return inject("m10Stack");
}

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

async function adminQuery(sql: string): Promise<void> {
  const admin = new pg.Client({ connectionString: testStack().postgresAdminUrl });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

async function newDatabase(prefix: string, createSql: (name: string) => string): Promise<TestDatabase> {
  const name = `${prefix}_${randomBytes(6).toString("hex")}`;
  await adminQuery(createSql(name));
  return {
    url: testStack().postgresAdminUrl.replace(/\/postgres$/, `/${name}`),
    name,
    drop: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

/** A new database cloned from the migrated template: the full schema and seed rows, nothing else. */
export function createTestDatabase(): Promise<TestDatabase> {
  return newDatabase("t", (name) => `CREATE DATABASE ${name} TEMPLATE ${testStack().templateDatabase}`);
}

/** A database of its own for the file (or for each test, with per: "test"), dropped afterwards. */
export function useTestDatabase(options: EnvironmentOptions = {}): TestDatabase {
  return useEnvironment(async (defer) => {
    const db = await createTestDatabase();
    defer(db.drop);
    return db;
  }, options);
}

/**
 * Inside a useEnvironment setup: a database cloned from the template and a pool on it, made by
 * the package's own `poolFor`; both closed after the tests.
 */
export async function openTestDatabase<P extends { end(): Promise<void> }>(defer: Defer, poolFor: (url: string) => P): Promise<{ db: TestDatabase; pool: P }> {
  const db = await createTestDatabase();
  defer(db.drop);
  const pool = poolFor(db.url);
  defer(() => pool.end());
  return { db, pool };
}

/** An empty database (no migrations), for migration tests. */
export function createEmptyDatabase(): Promise<TestDatabase> {
  return newDatabase("e", (name) => `CREATE DATABASE ${name}`);
}

/** Servers of the test's own, for chaos tests that stop, kill and restart them. */
export async function privateServer(kind: "redis" | "nats" | "postgres"): Promise<DevServer> {
  const dir = mkdtempSync(join(testStack().dir, `${kind}-`));
  const port = await freePort();
  if (kind === "redis") return createRedis({ dir, port, durable: false });
  if (kind === "nats") return createNats({ dir, port });
  return createPostgres({ dir, port, ephemeral: true });
}
export { startService, type RunningService } from "./service-process.js";
export { createHttpSink, type HttpSink, type SinkReply, type SinkRequest, type SinkResponder } from "./http-sink.js";
export { useEnvironment, type Defer, type EnvironmentOptions } from "./environment.js";
export { waitUntil, type WaitOptions } from "./wait.js";
export { streamKeysEnv, uniqueStreamKeys, type TestStreamKeys } from "./stream-keys.js";
export { metricValue, parseExposition, scrape, valueOf, type Exposition, type Sample } from "./metrics.js";
export { metricNamesIn, PROMETHEUS_SERIES } from "./promql.js";
