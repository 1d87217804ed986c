// Environment for the built m10-ingest process in process-level tests.
import { randomBytes } from "node:crypto";
import { testStack } from "@m10/devstack/testing";
import { ADMIN_TOKEN, MACHINE_TOKEN, writeTokensFile } from "./test-app.js";

export const INGEST_BIN = "services/ingest/bin/m10-ingest.js";

export function serviceEnv(databaseUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    REDIS_URL: testStack().redisUrl,
    M10_ADMIN_TOKEN: ADMIN_TOKEN,
    M10_MACHINE_TOKEN: MACHINE_TOKEN,
    M10_RBAC_TOKENS_FILE: writeTokensFile(),
    M10_STREAM_KEY: `m10:test:${randomBytes(4).toString("hex")}:stream`,
    HOST: "127.0.0.1",
    ...extra,
  };
}
