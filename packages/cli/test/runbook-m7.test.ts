// docs/runbooks/m7-memory-rbac-chaos.md as an operator runs it: every ```bash block, in document
// order, with bash at the repository root against a real m10-ingest process (restarted where the
// runbook restarts it), m10ctl, the test database and a real Prometheus behind its lifecycle gate. A `curl` prints `HTTP <status>`; each
// `# Expected: NNN` of a block must match the statuses the block printed, in order.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { testStack, waitUntil, type RunningService } from "@m10/devstack/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useCliEnvironment } from "./support/environment.js";
import { MACHINE_TOKEN, startIngest } from "./support/ingest-service.js";
import { startGatedPrometheus, type GatedPrometheus } from "./support/prometheus.js";

const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const RUNBOOK = "docs/runbooks/m7-memory-rbac-chaos.md";
const run = promisify(execFile);

/** Blocks not run (what is not built yet, or destructive); each says why. */
const EXPECTED_SKIPPED = 3;

interface BashBlock {
  line: number;
  script: string;
  directive: { kind: "run" } | { kind: "skip"; reason: string } | { kind: "restart-ingest"; env: Record<string, string> };
  expected: number[];
}

function bashBlocks(markdown: string): BashBlock[] {
  const blocks: BashBlock[] = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== "```bash") continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && lines[end] !== "```") end++;
    const body = lines.slice(start, end);
    const marker = /^# runbook-test: (skip|restart-ingest)\s*(.*)$/.exec(body[0] ?? "");
    const directive: BashBlock["directive"] = !marker
      ? { kind: "run" }
      : marker[1] === "skip"
        ? { kind: "skip", reason: marker[2] ?? "" }
        : { kind: "restart-ingest", env: Object.fromEntries((marker[2] ?? "").split(/\s+/).map((pair) => pair.split("=") as [string, string])) };
    const expected = body.flatMap((text) => /^# Expected: (\d{3})\b/.exec(text)?.[1] ?? []).map(Number);
    blocks.push({ line: start, script: body.join("\n"), directive, expected });
    i = end;
  }
  return blocks;
}

const blocks = bashBlocks(readFileSync(join(REPO, RUNBOOK), "utf8"));
const t = useCliEnvironment();
let ingest: RunningService | undefined;
let prometheus: GatedPrometheus | undefined;
const outcome = { run: 0, restarts: 0, skipped: 0 };

beforeAll(async () => {
  prometheus = await startGatedPrometheus();
}, 90_000);

afterAll(async () => {
  await Promise.all([ingest?.stop(), prometheus?.stop()]);
});

async function restartIngest(env: Record<string, string>): Promise<RunningService> {
  await ingest?.stop();
  ingest = await startIngest(t.database.url, env);
  return ingest;
}

describe(`runbook: ${RUNBOOK}`, () => {
  it("has bash blocks, and every skip says why", () => {
    expect(blocks.length).toBeGreaterThan(10);
    const unexplained = blocks.filter((block) => block.directive.kind === "skip" && !/\(.+\)/.test(block.directive.reason)).map((block) => block.line);
    expect(unexplained).toEqual([]);
  });

  blocks.forEach((block) => {
    const kind = block.directive.kind;
    it(`line ${block.line}: ${kind}${block.expected.length ? ` (expects ${block.expected.join(", ")})` : ""}`, async () => {
      const directive = block.directive;
      if (directive.kind === "skip") {
        outcome.skipped += 1;
        return;
      }
      if (directive.kind === "restart-ingest") {
        await restartIngest(directive.env);
        outcome.restarts += 1;
        return;
      }
      const service = ingest ?? (await restartIngest({}));
      const { stdout } = await run("bash", ["-euo", "pipefail", "-c", block.script], {
        cwd: REPO,
        timeout: 60_000,
        env: {
          ...process.env,
          PATH: `${join(REPO, "node_modules/.bin")}:${process.env.PATH ?? ""}`,
          INGEST_URL: service.url,
          DATABASE_URL: t.database.url,
          REDIS_URL: testStack().redisUrl,
          M10_MACHINE_TOKEN: MACHINE_TOKEN,
          PROMETHEUS_URL: prometheus?.url,
          PROM_RELOAD_TOKEN: prometheus?.token,
          M10_BACKUP_DIR: mkdtempSync(join(tmpdir(), "m10-m7-runbook-")),
          LOG_LEVEL: "warn",
        },
      });
      const statuses = [...stdout.matchAll(/^HTTP (\d{3})$/gm)].map((match) => Number(match[1]));
      expect(statuses, stdout).toEqual(block.expected);
      outcome.run += 1;
    });
  });

  it("left what the procedures promise: the seeded pins, t1's pin written by the machine token, the denial and the crossing audited", async () => {
    const pins = await t.db.query<{ tenant_id: string; key: string }>("SELECT tenant_id, key FROM system.memory_pins ORDER BY tenant_id, key");
    expect(pins.rows).toEqual([
      { tenant_id: "global", key: "agent:defaults" },
      { tenant_id: "global", key: "test-key" },
      { tenant_id: "t1", key: "cache:warmup" },
      { tenant_id: "t1", key: "k" },
      { tenant_id: "test", key: "test-key" },
    ]);
    const reasons = async () =>
      (await t.db.query<{ reason: string }>("SELECT DISTINCT reason FROM system.rbac_audit WHERE reason IN ('no_credentials', 'machine_acts_for_tenant') ORDER BY reason")).rows.map((row) => row.reason);
    // Audit records are written in batches, off the request path.
    await waitUntil("the denial and the crossing are audited", async () => (await reasons()).length === 2);
    expect(await reasons()).toEqual(["machine_acts_for_tenant", "no_credentials"]);
  });

  it("ran every block: none failed, none skipped silently", () => {
    expect(outcome.skipped).toBe(EXPECTED_SKIPPED);
    expect(outcome.restarts).toBe(3);
    expect(outcome.run + outcome.restarts + outcome.skipped).toBe(blocks.length);
  });
});
