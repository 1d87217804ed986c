// m10ctl pins seed against a real m10-ingest process and PostgreSQL, as an operator runs it.
import { writeFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RunningService } from "@m10/devstack/testing";
import { afterEach, describe, expect, it } from "vitest";
import { useCliEnvironment } from "./support/environment.js";
import { ACME_TOKEN, MACHINE_TOKEN, startIngest } from "./support/ingest-service.js";
import { m10ctl, m10ctlJson } from "./support/m10ctl.js";

const t = useCliEnvironment();
const EXAMPLE = new URL("../../../docs/runbooks/pins.seed.json", import.meta.url).pathname;

let ingest: RunningService | undefined;
afterEach(async () => {
  await ingest?.stop();
  ingest = undefined;
});

function pinsFile(content: unknown): string {
  const file = join(tmpdir(), `m10-pins-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
  return file;
}

/** A port nothing listens on (it just did, and closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const pinRows = async () =>
  (await t.db.query<{ tenant_id: string; key: string; value: unknown; source: string }>("SELECT tenant_id, key, value, source FROM system.memory_pins ORDER BY tenant_id, key")).rows;

interface SeedSummary {
  total: number;
  created: number;
  replaced: number;
  failed: number;
  failures: { tenant_id: string | null; key: string; http_status: number | null; error: string | null }[];
}

describe("m10ctl pins seed", () => {
  it("upserts the example file with the machine token for the tenants it names; a second run replaces and adds nothing", async () => {
    await t.db.query("DELETE FROM system.memory_pins WHERE true");
    ingest = await startIngest(t.database.url);
    const env = { M10_MACHINE_TOKEN: MACHINE_TOKEN };
    const first = await m10ctlJson<SeedSummary>(["pins", "seed", "--file", EXAMPLE, "--base", ingest.url], env);
    expect(first.code).toBe(0);
    expect(first.json).toMatchObject({ total: 4, created: 4, replaced: 0, failed: 0, failures: [] });
    // Progress on stderr (not a terminal: one line per pin).
    expect(first.stderr).toContain("[1/4] global/test-key: created");
    expect(first.stderr).toContain("[4/4] t1/cache:warmup: created");
    const afterFirst = await pinRows();
    expect(afterFirst).toEqual([
      { tenant_id: "global", key: "agent:defaults", value: { max_retries: 3, timeout_seconds: 30 }, source: "seed" },
      { tenant_id: "global", key: "test-key", value: { foo: "bar" }, source: "seed" },
      { tenant_id: "t1", key: "cache:warmup", value: { enabled: true }, source: "seed" },
      { tenant_id: "t1", key: "k", value: {}, source: "seed" },
    ]);

    const second = await m10ctl(["pins", "seed", "--file", EXAMPLE, "--base", ingest.url], env);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain("Seeded 4 pins");
    expect(second.stdout).toContain("0 created, 4 replaced, 0 failed");
    expect(await pinRows()).toEqual(afterFirst);

    // The runbook's verification: the pin reads back for tenant global with the machine token.
    const read = await fetch(`${ingest.url}/api/v1/memory/pins/test-key?tenant_id=global`, { headers: { "x-machine-token": MACHINE_TOKEN } });
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({ tenant_id: "global", key: "test-key", value: { foo: "bar" } });
  });

  it("exits 1 and lists each failed pin: a tenant's own token stays pinned to its tenant, bad pins get their 400", async () => {
    await t.db.query("DELETE FROM system.memory_pins WHERE true");
    ingest = await startIngest(t.database.url);
    const file = pinsFile({
      pins: [
        { tenant_id: "acme", key: "mine", value: { ok: true } },
        { tenant_id: "globex", key: "theirs", value: { ok: false } },
        { tenant_id: "acme", key: "a/../b", value: {} },
      ],
    });
    const run = await m10ctlJson<SeedSummary>(["pins", "seed", "--file", file, "--base", ingest.url, "--token-env", "ACME_PIN_TOKEN"], { ACME_PIN_TOKEN: ACME_TOKEN });
    expect(run.code).toBe(1);
    expect(run.json).toMatchObject({ total: 3, created: 1, failed: 2 });
    expect(run.json.failures).toEqual([
      { tenant_id: "globex", key: "theirs", outcome: "failed", http_status: 403, error: expect.stringMatching(/^tenant_mismatch/) },
      { tenant_id: "acme", key: "a/../b", outcome: "failed", http_status: 400, error: expect.any(String) },
    ]);
    expect(run.stderr).toContain("[2/3] globex/theirs: FAILED (403) tenant_mismatch");
    expect(await pinRows()).toEqual([{ tenant_id: "acme", key: "mine", value: { ok: true }, source: "seed" }]);
  });

  it("refuses a malformed file, a missing token and an unreachable API without writing, with --help that explains", async () => {
    await t.db.query("DELETE FROM system.memory_pins WHERE true");
    const bad = pinsFile([{ key: "no-value" }, { tenant_id: "t1", value: {} }]);
    const malformed = await m10ctl(["pins", "seed", "--file", bad, "--base", "http://127.0.0.1:1"], { M10_MACHINE_TOKEN: MACHINE_TOKEN });
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toMatch(/0\.value: .*\n.*1\.key: /);
    const notJson = await m10ctl(["pins", "seed", "--file", pinsFile("[{"), "--base", "http://127.0.0.1:1"], { M10_MACHINE_TOKEN: MACHINE_TOKEN });
    expect(notJson.code).toBe(2);
    const noToken = await m10ctl(["pins", "seed", "--file", EXAMPLE], { M10_MACHINE_TOKEN: undefined });
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toContain("M10_MACHINE_TOKEN is not set");
    const unreachable = await m10ctlJson<SeedSummary>(["pins", "seed", "--file", EXAMPLE, "--base", `http://127.0.0.1:${await closedPort()}`], { M10_MACHINE_TOKEN: MACHINE_TOKEN });
    expect(unreachable.code).toBe(1);
    expect(unreachable.json).toMatchObject({ total: 4, failed: 4 });
    expect(unreachable.json.failures[0]).toMatchObject({ http_status: null, error: expect.stringContaining("ECONNREFUSED") });
    expect(await pinRows()).toEqual([]);
    const help = await m10ctl(["pins", "seed", "--help"], {});
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("--file <path>");
    expect(help.stdout).toContain("--token-env <name>");
    expect(help.stdout).toContain("M10_MACHINE_TOKEN_TENANTS");
  });
});
