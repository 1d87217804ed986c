// docs/runbooks/phase7-operations.md as an operator runs it: every ```bash block, in document
// order, in bash -euo pipefail at the repository root, with m10ctl from node_modules/.bin, against
// real PostgreSQL and Redis holding two dead letters (under this test's own stream keys), and NATS
// for the outbox drill's relay (under this test's own stream). A block that needs the services of
// `make up` starts with "# runbook-test: skip (reason)"; their number is pinned, so none is skipped
// silently.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { delimiter, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "@m10/devstack";
import { testStack } from "@m10/devstack/testing";
import { beforeAll, describe, expect, it } from "vitest";
import { candidate, deadLetter } from "./support/dead-letters.js";
import { useCliEnvironment } from "./support/environment.js";
import { cliEnv, uniqueKeys } from "./support/m10ctl.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const RUNBOOK = `${ROOT}docs/runbooks/phase7-operations.md`;
const EXPECTED_SKIPPED = 4;

interface BashBlock {
  line: number;
  code: string;
  skip: boolean;
}

function bashBlocks(markdown: string): BashBlock[] {
  const blocks: BashBlock[] = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]?.trim() !== "```bash") continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && lines[end]?.trim() !== "```") end++;
    const code = lines.slice(start, end).join("\n");
    blocks.push({ line: start, code, skip: /^# runbook-test: skip \(.+\)/.test(code) });
    i = end;
  }
  return blocks;
}

function bash(script: string, env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile("bash", ["-euo", "pipefail", "-c", script], { cwd: ROOT, env, timeout: 180_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

describe("docs/runbooks/phase7-operations.md, bash blocks", () => {
  const t = useCliEnvironment();
  const blocks = bashBlocks(readFileSync(RUNBOOK, "utf8"));
  const keys = uniqueKeys();
  const values: Record<string, string> = {};
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    values.dead_letter_id = await deadLetter(t, keys, await candidate(t));
    values.other_dead_letter_id = await deadLetter(t, keys, await candidate(t), "invalid_message");
    // The pinned Node first: node_modules/.bin's shims run `node`.
    const suffix = keys.M10_STREAM_KEY.replace(/\W/g, "_");
    env = {
      ...process.env,
      ...cliEnv(t.database.url, keys),
      // The outbox drill: its relay's NATS route under this test's own stream, its receiver on a free
      // port, and no control socket (there is no make up stack to hold).
      NATS_URL: testStack().natsUrl,
      OUTBOX_NATS_STREAM: `DRILL_${suffix}`,
      OUTBOX_NATS_SUBJECT_PREFIX: `drill.${suffix}`,
      M10_RECEIVER_PORT: String(await freePort()),
      M10_CONTROL_SOCKET: `${ROOT}.m10/no-such-control.sock`,
      LOG_LEVEL: "warn",
      PATH: [dirname(process.execPath), `${ROOT}node_modules/.bin`, process.env.PATH].join(delimiter),
    };
  });

  it("has command blocks, and skips only the ones that need running services", () => {
    expect(blocks.length).toBeGreaterThan(8);
    expect(blocks.filter((b) => b.skip)).toHaveLength(EXPECTED_SKIPPED);
  });

  // Every block in one test: dozens of m10ctl runs, minutes on a loaded machine.
  it("runs every other block with exit code 0, and the procedures have their effects", async () => {
    const failures: string[] = [];
    for (const block of blocks.filter((b) => !b.skip)) {
      // The test stack's Redis is shared: the runbook's (default) keys become this test's own.
      const script = block.code
        .replace(/<(\w+)>/g, (whole, name: string) => values[name] ?? whole)
        .replaceAll("m10:evaluate:dead-letter", keys.M10_DEAD_LETTER_STREAM)
        .replaceAll("m10:evaluate:stream", keys.M10_STREAM_KEY);
      const run = await bash(script, env);
      if (run.code !== 0) failures.push(`line ${block.line} exited ${run.code}:\n${script}\n${run.stdout}\n${run.stderr}`);
    }
    expect(failures).toEqual([]);

    // Reprocessed (three times in the runbook), replayed once: one replay_log row, one new stream entry.
    const replays = await t.db.query("SELECT status FROM m10_recovery.replay_log WHERE dl_msg_id = $1", [values.dead_letter_id]);
    expect(replays.rows).toEqual([{ status: "replayed" }]);
    expect(await t.redis.xlen(keys.M10_STREAM_KEY)).toBe(1);
    // Resolved: logged, removed from the dead-letter stream.
    const resolved = await t.db.query("SELECT status, error_message FROM m10_recovery.replay_log WHERE dl_msg_id = $1", [values.other_dead_letter_id]);
    expect(resolved.rows).toEqual([{ status: "resolved", error_message: "fixed upstream" }]);
    expect(await t.redis.xlen(keys.M10_DEAD_LETTER_STREAM)).toBe(0);

    // The outbox drill: dead-lettered after two failures, reprocessed twice, replayed once under the
    // same version (so the same key), delivered once, one ledger row that ran once after two failures.
    const events = await t.db.query("SELECT id, version, processed_by FROM m10_recovery.outbox WHERE event_type = 'drill.receiver' ORDER BY id");
    expect(events.rows).toHaveLength(2);
    const [original, replayed] = events.rows as { id: string; version: string; processed_by: string }[];
    expect(original!.processed_by).toBe("dead-letter");
    expect(replayed!.processed_by).not.toBe("dead-letter");
    expect(replayed!.version).toBe(original!.version);
    const outboxReplays = await t.db.query("SELECT status, new_msg_id FROM m10_recovery.replay_log WHERE original_msg_id = $1", [`outbox:${original!.id}`]);
    expect(outboxReplays.rows).toEqual([{ status: "replayed", new_msg_id: `outbox:${replayed!.id}` }]);
    const ledger = await t.db.query("SELECT event_type, status, attempts, error_message FROM public.event_ledger WHERE consumer_group = 'drill-receiver'");
    expect(ledger.rows).toEqual([{ event_type: "drill.receiver", status: "processed", attempts: 3, error_message: null }]);
  }, 300_000);
});
