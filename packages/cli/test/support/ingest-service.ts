// The built m10-ingest as a real process for the commands that go through the API (pins seed,
// the M7 runbook): the test stack's Redis, a stream of its own, the machine token and a tenant token.
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startService, testStack, type RunningService } from "@m10/devstack/testing";
import { uniqueKeys } from "./m10ctl.js";

export const MACHINE_TOKEN = "mch_cli_test_token_0123456789abcdef_0123456789";
export const ADMIN_TOKEN = "adm_cli_test_token_0123456789abcdef_0123456789";
/** A tenant's own token (role machine, tenant acme): pinned to acme whatever it names. */
export const ACME_TOKEN = "acme_cli_test_token_0123456789abcdef_012345678";

function tokensFile(): string {
  const file = join(tmpdir(), `m10-cli-tokens-${randomBytes(4).toString("hex")}.json`);
  writeFileSync(file, JSON.stringify({ [ACME_TOKEN]: { subject: "acme-agent", roles: ["machine"], tenant: "acme" } }), { mode: 0o600 });
  return file;
}

export function startIngest(databaseUrl: string, env: Record<string, string> = {}): Promise<RunningService> {
  return startService("services/ingest/bin/m10-ingest.js", {
    DATABASE_URL: databaseUrl,
    REDIS_URL: testStack().redisUrl,
    HOST: "127.0.0.1",
    M10_MACHINE_TOKEN: MACHINE_TOKEN,
    M10_ADMIN_TOKEN: ADMIN_TOKEN,
    M10_RBAC_TOKENS_FILE: tokensFile(),
    M10_RATE_LIMIT_ANONYMOUS_MAX: "1000000",
    LOG_LEVEL: "warn",
    ...uniqueKeys(),
    ...env,
  });
}
