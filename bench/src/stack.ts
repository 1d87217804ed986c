import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Stack, startStack } from "@m10/devstack";
import { migrateUp } from "@m10/migrations";

export interface BenchStack {
  stack: Stack;
  databaseUrl: string;
  redisUrl: string;
  natsUrl: string;
  close(): Promise<void>;
}

/**
 * A fresh stack with production settings (fsync on, Redis AOF everysec), so the figures are the
 * ones an operator would see, not a test shortcut.
 */
export async function freshStack(): Promise<BenchStack> {
  const dir = mkdtempSync(join(tmpdir(), "m10-bench-"));
  const stack = await startStack({ dir, ephemeral: false, database: "m10" });
  await migrateUp(stack.postgres.url);
  return {
    stack,
    databaseUrl: stack.postgres.url,
    redisUrl: stack.redis.url,
    natsUrl: stack.nats.url,
    close: async () => {
      await stack.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
