// Vitest global setup: one throwaway PostgreSQL + Redis + NATS per test run, on free ports, in a
// temp dir, with a migrated template database that each test file clones.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { migrateUp } from "@m10/migrations";
import pg from "pg";
import { ensureDatabase } from "../postgres.js";
import { startStack, type Stack } from "../stack.js";
import { TEMPLATE_DATABASE, type TestStackInfo } from "./info.js";

interface Provider {
  provide(key: "m10Stack", value: TestStackInfo): void;
}

let stack: Stack | undefined;
let dir: string | undefined;

export default async function setup(project: Provider): Promise<() => Promise<void>> {
  dir = mkdtempSync(join(tmpdir(), "m10-test-"));
  stack = await startStack({ dir, ephemeral: true, database: "postgres" });
  const adminUrl = stack.postgres.url;
  await ensureDatabase(adminUrl, TEMPLATE_DATABASE);
  const templateUrl = adminUrl.replace(/\/postgres$/, `/${TEMPLATE_DATABASE}`);
  await migrateUp(templateUrl);
  // A template must have no open connections when it is cloned; make that explicit.
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  await client.query(`ALTER DATABASE ${TEMPLATE_DATABASE} WITH IS_TEMPLATE true`);
  await client.end();
  project.provide("m10Stack", {
    dir,
    postgresAdminUrl: adminUrl,
    templateDatabase: TEMPLATE_DATABASE,
    redisUrl: stack.redis.url,
    natsUrl: stack.nats.url,
  });
  return async () => {
    await stack?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  };
}
