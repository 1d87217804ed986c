// Helpers for test files: a fresh migrated database per file, the shared Redis and NATS, and
// private servers for chaos tests that take one down.
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

/** A new database cloned from the migrated template: the full schema and seed rows, nothing else. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const info = testStack();
  const name = `t_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: info.postgresAdminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${info.templateDatabase}`);
  } finally {
    await admin.end();
  }
  const url = info.postgresAdminUrl.replace(/\/postgres$/, `/${name}`);
  return {
    url,
    name,
    drop: async () => {
      const client = new pg.Client({ connectionString: info.postgresAdminUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

/** An empty database (no migrations), for migration tests. */
export async function createEmptyDatabase(): Promise<TestDatabase> {
  const info = testStack();
  const name = `e_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: info.postgresAdminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = info.postgresAdminUrl.replace(/\/postgres$/, `/${name}`);
  return {
    url,
    name,
    drop: async () => {
      const client = new pg.Client({ connectionString: info.postgresAdminUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).finally(() => client.end());
    },
  };
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
