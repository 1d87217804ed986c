// Every ```sql block of docs/runbooks/*.md runs against a migrated M10 database, in document order,
// after fixtures have filled the placeholders (<work_id>, <lock_name>, 'YOUR_MESSAGE_ID', ...).
// Destructive blocks run each in a database of their own. The anchors that the alert rules and
// the runbooks link to must exist as headings.
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createTestDatabase } from "@m10/devstack/testing";
import pg from "pg";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { useTestEnvironment } from "./support/environment.js";

const repo = (path: string): string => fileURLToPath(new URL(`../../../${path}`, import.meta.url));
const RUNBOOK_DIR = repo("docs/runbooks");
const ALERT_RULES_FILE = repo("infra/prometheus/m10_recovery_alerts.yml");
const DLQ_ALERT_RULES_FILE = repo("infra/prometheus/m10_dlq_alerts.yml");

/**
 * The real counts. A new SQL block raises MIN_BLOCKS_RUN (keep it equal to the count); a parser
 * that found nothing, or found less, fails here instead of passing vacuously.
 */
const MIN_BLOCKS_RUN = 73;
const EXPECTED_FRESH_DATABASE_BLOCKS = 1;
const EXPECTED_SKIPPED_BLOCKS = 0;
const RUNBOOKS = ["M10_MIGRATION_022_RUNBOOK.md", "M10_PROD_HANDBOOK.md", "M10_RECOVERY_OPERATIONS.md", "README.md", "m7-memory-rbac-chaos.md", "phase7-operations.md"];

// ------------------------------------------------------------------------------------------------
// Markdown: headings (with GitHub anchors) and fenced code blocks
// ------------------------------------------------------------------------------------------------

type Mode = "run" | "fresh-database" | "skip";

interface SqlBlock {
  file: string;
  line: number;
  headings: string[];
  sql: string;
  mode: Mode;
  reason: string | null;
  expectRows: number | null;
}

interface ParsedRunbook {
  file: string;
  anchors: Set<string>;
  blocks: SqlBlock[];
  links: { target: string; anchor: string; line: number }[];
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens, repeats get -1, -2. */
function anchorFor(heading: string, seen: Map<string, number>): string {
  const text = heading
    .replace(/`/g, "")
    .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
    .trim()
    .toLowerCase();
  const base = text.replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-");
  const count = seen.get(base) ?? 0;
  seen.set(base, count + 1);
  return count === 0 ? base : `${base}-${count}`;
}

const DIRECTIVE = /^--\s*runbook-test:\s*(skip|fresh-database)\b\s*(.*)$/i;
const EXPECT = /^--\s*runbook-test:\s*expect\s+(\d+)\s+rows?\s*$/im;

function parseRunbook(file: string, text: string): ParsedRunbook {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  const blocks: SqlBlock[] = [];
  const links: ParsedRunbook["links"] = [];
  const headings: string[] = [];
  const lines = text.split("\n");
  let fence: { marker: string; indent: number; lang: string; start: number; body: string[] } | null = null;

  lines.forEach((line, index) => {
    if (fence) {
      if (line.trim() === fence.marker) {
        if (fence.lang === "sql") {
          const indent = fence.indent;
          const sql = fence.body.map((l) => l.slice(Math.min(indent, l.length - l.trimStart().length))).join("\n");
          const firstLine = sql.trimStart().split("\n")[0] ?? "";
          const directive = DIRECTIVE.exec(firstLine.trim());
          const expectMatch = EXPECT.exec(sql);
          blocks.push({
            file,
            line: fence.start + 1,
            headings: [...headings].filter(Boolean),
            sql,
            mode: directive ? (directive[1]!.toLowerCase() as Mode) : "run",
            reason: directive ? directive[2]!.trim() || null : null,
            expectRows: expectMatch ? Number(expectMatch[1]) : null,
          });
        }
        fence = null;
      } else {
        fence.body.push(line);
      }
      return;
    }
    const open = /^(\s*)(`{3,})\s*([\w-]*)\s*$/.exec(line);
    if (open) {
      fence = { marker: open[2]!, indent: open[1]!.length, lang: open[3]!.toLowerCase(), start: index, body: [] };
      return;
    }
    const heading = /^(#{1,6})\s+(.+?)\s*#*\s*$/.exec(line);
    if (heading) {
      const level = heading[1]!.length;
      headings.length = level;
      headings[level - 1] = heading[2]!;
      anchors.add(anchorFor(heading[2]!, seen));
      return;
    }
    for (const match of line.matchAll(/\]\(([^)\s]*)#([^)\s]+)\)/g)) {
      links.push({ target: match[1] || file, anchor: match[2]!, line: index + 1 });
    }
  });
  if (fence) throw new Error(`${file}: code fence opened at line ${(fence as { start: number }).start + 1} is never closed`);
  return { file, anchors, blocks, links };
}

const runbooks = readdirSync(RUNBOOK_DIR)
  .filter((name) => name.endsWith(".md"))
  .sort()
  .map((name) => parseRunbook(name, readFileSync(`${RUNBOOK_DIR}/${name}`, "utf8")));
const blocks = runbooks.flatMap((runbook) => runbook.blocks);

function blockName(block: SqlBlock, ordinal: number): string {
  const where = block.headings.slice(1).slice(-2).join(" › ") || block.headings[0] || "(top)";
  return `${block.file} › ${where} [sql #${ordinal}, line ${block.line}]`;
}

// ------------------------------------------------------------------------------------------------
// SQL: comments, destructive statements, placeholders
// ------------------------------------------------------------------------------------------------

/** The SQL without `--` comments (the runbooks put no `--` inside string literals). */
function withoutComments(sql: string): string {
  return sql
    .split("\n")
    .map((line) => line.replace(/--.*$/, ""))
    .join("\n");
}

/** Statements that lose data wholesale; a block with one must run in a fresh database or be skipped. */
function destructiveStatements(sql: string): string[] {
  return withoutComments(sql)
    .split(";")
    .map((statement) => statement.replace(/\s+/g, " ").trim())
    .filter(
      (statement) =>
        /\bDROP\s+(SCHEMA|TABLE|DATABASE|MATERIALIZED\s+VIEW|VIEW|FUNCTION|EXTENSION)\b/i.test(statement) ||
        /\bTRUNCATE\b/i.test(statement) ||
        (/^(DELETE\s+FROM|UPDATE)\b/i.test(statement) && !/\bWHERE\b/i.test(statement)),
    );
}

const PLACEHOLDER = /<([a-z][a-z0-9_]*)>|'(YOUR_[A-Z0-9_]+)'/g;

function placeholdersIn(sql: string): string[] {
  return [...withoutComments(sql).matchAll(PLACEHOLDER)].map((match) => match[1] ?? match[2]!);
}

function fill(sql: string, values: Record<string, string>): string {
  const lines = sql.split("\n").map((line) => {
    const comment = line.indexOf("--");
    const code = comment === -1 ? line : line.slice(0, comment);
    const rest = comment === -1 ? "" : line.slice(comment);
    const filled = code.replace(PLACEHOLDER, (whole, name: string | undefined, literal: string | undefined) => {
      const key = name ?? literal!;
      const value = values[key];
      if (value === undefined) throw new Error(`no fixture for placeholder ${whole}`);
      return literal ? `'${value}'` : value;
    });
    return filled + rest;
  });
  return lines.join("\n");
}

function firstResult(result: pg.QueryResult | pg.QueryResult[]): pg.QueryResult {
  const first = Array.isArray(result) ? result[0] : result;
  if (!first) throw new Error("the block returned no result");
  return first;
}

function lastResult(result: pg.QueryResult | pg.QueryResult[]): pg.QueryResult {
  const last = Array.isArray(result) ? result[result.length - 1] : result;
  if (!last) throw new Error("the block returned no result");
  return last;
}

// ------------------------------------------------------------------------------------------------
// Fixtures: the state the runbooks' procedures act on
// ------------------------------------------------------------------------------------------------

async function createFixtures(c: Pick<pg.ClientBase, "query">): Promise<Record<string, string>> {
  const one = async (sql: string, params: unknown[] = []): Promise<string> => {
    const row = (await c.query<Record<string, unknown>>(sql, params)).rows[0];
    if (!row) throw new Error(`fixture query returned no row: ${sql}`);
    return String(Object.values(row)[0]);
  };

  const candidateId = await one(
    `INSERT INTO recovery_candidates (failure_match_id, suggestion, confidence, error_code, source, idempotency_key)
     VALUES (gen_random_uuid(), 'retry', 0.2, 'TIMEOUT', 'runbook-test', gen_random_uuid()) RETURNING id`,
  );
  // Evaluated, with an action the agent platform has been "executing" for 20 minutes.
  await c.query(
    `INSERT INTO recovery_candidates (failure_match_id, suggestion, confidence, error_code, execution_status, evaluated_at, updated_at)
     VALUES (gen_random_uuid(), 'retry_exponential', 0.9, 'HTTP_5XX', 'executing', now() - interval '25 minutes', now() - interval '20 minutes')`,
  );
  // Awaiting evaluation for ten minutes, with an expired evaluation lease.
  await c.query(
    `INSERT INTO recovery_candidates (failure_match_id, suggestion, confidence, error_code, created_at, evaluation_claimed_at, evaluation_claimed_by)
     VALUES (gen_random_uuid(), 'pending evaluation', 0.2, 'RATE_LIMITED', now() - interval '10 minutes', now() - interval '5 minutes', 'host:1:dead')`,
  );
  const workId = await one("SELECT m10_recovery.enqueue_work($1::int)", [candidateId]);

  // An outbox event that failed five times, one delivered, one pending.
  const eventId = await one("SELECT m10_recovery.publish_outbox('candidate', $1, 'recovery.suggested', '{\"candidate_id\": 1}'::jsonb)", [candidateId]);
  await c.query(
    "UPDATE m10_recovery.outbox SET retry_count = 5, last_error = 'webhook: HTTP 503', next_retry_at = now() + interval '1 hour' WHERE id = $1",
    [eventId],
  );
  const delivered = await one("SELECT m10_recovery.publish_outbox('candidate', $1, 'recovery.action_requested', '{}'::jsonb)", [candidateId]);
  await c.query("UPDATE m10_recovery.outbox SET processed_at = now(), processed_by = 'runbook-test' WHERE id = $1", [delivered]);
  await c.query("SELECT m10_recovery.publish_outbox('candidate', '999', 'recovery.suggested', '{}'::jsonb)");

  // A dead-lettered stream message and an outbox event dead-lettered by the processor, one replay.
  await c.query(
    "SELECT m10_recovery.archive_dead_letter('1700000000001-0', '1700000000000-0', $1::int, NULL, '{\"candidate_id\": \"1\"}'::jsonb, 'max_reclaim_attempts', 3)",
    [candidateId],
  );
  await c.query("SELECT m10_recovery.archive_dead_letter(NULL, 'outbox:' || $1, NULL, NULL, '{}'::jsonb, 'outbox_max_retries', 5)", [delivered]);
  await c.query("SELECT * FROM m10_recovery.record_replay('1700000000000-0', '1700000000001-0', $1::int, NULL, '1700000000002-0', 'runbook-test')", [
    candidateId,
  ]);

  // A lock held by a "stuck" holder, and one fresh matview refresh so matview_freshness has a row.
  await c.query("SELECT m10_recovery.acquire_lock('m10:retention_cleanup', 'host-a:4242:deadbeef', 600)");
  await c.query("SELECT * FROM m10_recovery.refresh_mv_tracked('mv_top_pending')");

  return {
    candidate_id: candidateId,
    work_id: workId,
    event_id: eventId,
    lock_name: "m10:retention_cleanup",
    holder_id: "host-a:4242:deadbeef",
    YOUR_MESSAGE_ID: "1700000000001-0",
  };
}

// ------------------------------------------------------------------------------------------------
// Tests
// ------------------------------------------------------------------------------------------------

describe("runbook SQL blocks", () => {
  // The blocks run one after the other on one connection, as an operator's psql session would.
  const t = useTestEnvironment({ poolMax: 1, statementTimeoutMs: 30_000 });
  let values: Record<string, string>;
  const outcome = { run: 0, freshDatabase: 0, skipped: 0 };

  beforeAll(async () => {
    values = await createFixtures(t.pool);
  });

  it("finds SQL in each M10 runbook and nowhere else but docs/runbooks", () => {
    expect(runbooks.map((runbook) => runbook.file)).toEqual(RUNBOOKS);
    for (const file of ["M10_MIGRATION_022_RUNBOOK.md", "M10_PROD_HANDBOOK.md", "M10_RECOVERY_OPERATIONS.md"]) {
      expect(blocks.filter((block) => block.file === file).length, file).toBeGreaterThan(10);
    }
  });

  it("marks every destructive block, and gives every skip or fresh-database marker a reason", () => {
    const unmarked = blocks
      .filter((block) => block.mode === "run" && destructiveStatements(block.sql).length > 0)
      .map((block) => `${block.file}:${block.line}: ${destructiveStatements(block.sql).join("; ")}`);
    expect(unmarked).toEqual([]);
    const withoutReason = blocks.filter((block) => block.mode !== "run" && !/\(.+\)/.test(block.reason ?? "")).map((block) => `${block.file}:${block.line}`);
    expect(withoutReason).toEqual([]);
  });

  blocks.forEach((block, index) => {
    it(blockName(block, index + 1), async () => {
      if (block.mode === "skip") {
        outcome.skipped += 1;
        return;
      }
      const missing = placeholdersIn(block.sql).filter((name) => values[name] === undefined);
      expect(missing, "placeholders without a fixture").toEqual([]);
      const sql = fill(block.sql, values);

      if (block.mode === "fresh-database") {
        const fresh = await createTestDatabase();
        const freshClient = new pg.Client({ connectionString: fresh.url, statement_timeout: 30_000 });
        try {
          await freshClient.connect();
          await createFixtures(freshClient);
          const result = lastResult(await freshClient.query(sql));
          if (block.expectRows !== null) expect(result.rows.length).toBe(block.expectRows);
        } finally {
          await freshClient.end();
          await fresh.drop();
        }
        outcome.freshDatabase += 1;
        return;
      }

      const result = lastResult(await t.pool.query(sql));
      if (block.expectRows !== null) expect(result.rows.length).toBe(block.expectRows);
      outcome.run += 1;
    });
  });

  it("left the effects the procedures promise on the fixtures", async () => {
    const row = async (sql: string, params: unknown[]): Promise<Record<string, unknown> | undefined> => (await t.pool.query(sql, params)).rows[0];
    // Handbook "Force Release Stuck Lock" with <lock_name> / <holder_id>.
    expect(await row("SELECT 1 FROM m10_recovery.distributed_locks WHERE lock_name = $1", [values.lock_name])).toBeUndefined();
    // Recovery Operations "Reset retry count for stuck events": due now, counters cleared.
    expect(await row("SELECT retry_count, last_error, process_after <= now() AS due FROM m10_recovery.outbox WHERE id = $1", [values.event_id])).toEqual({
      retry_count: 0,
      last_error: null,
      due: true,
    });
    // "Manual Claim": claimed and completed by hand with <work_id>; the failure that follows finds
    // the item already processed and changes nothing (complete_work's holder check, migration 027).
    expect(
      await row("SELECT processed_at IS NOT NULL AS processed, claimed_by, error_message, retry_count FROM m10_recovery.work_queue WHERE id = $1", [values.work_id]),
    ).toEqual({ processed: true, claimed_by: "manual_worker", error_message: null, retry_count: 0 });
    // "Release stuck candidates": the 20-minute "executing" candidate is pending again.
    expect(await row("SELECT count(*)::int AS n FROM recovery_candidates WHERE execution_status = 'executing'", [])).toEqual({ n: 0 });
    // The 022 runbook's replay test cleans up after itself.
    expect(await row("SELECT 1 FROM m10_recovery.replay_log WHERE original_msg_id = 'test-orig-msg-001'", [])).toBeUndefined();
  });

  it("ran every block: none failed, none skipped silently", () => {
    expect(outcome.run).toBeGreaterThanOrEqual(MIN_BLOCKS_RUN);
    expect(outcome.freshDatabase).toBe(EXPECTED_FRESH_DATABASE_BLOCKS);
    expect(outcome.skipped).toBe(EXPECTED_SKIPPED_BLOCKS);
    expect(outcome.run + outcome.freshDatabase + outcome.skipped).toBe(blocks.length);
  });
});

describe("runbook procedures act on the fixtures", () => {
  it("the M10 backlog query counts what the seed's confidence query misses", async () => {
    const db = await createTestDatabase();
    const c = new pg.Client({ connectionString: db.url });
    try {
      await c.connect();
      await createFixtures(c);
      const seed = blocks.find((block) => block.sql.includes("confidence IS NULL OR confidence <= 0.2"));
      const m10 = blocks.find((block) => /WHERE evaluated_at IS NULL;/.test(block.sql) && block.sql.includes("as pending"));
      expect(seed && m10).toBeTruthy();
      const seedCount = Number(firstResult(await c.query(seed!.sql)).rows[0]?.pending);
      const m10Count = Number(firstResult(await c.query(m10!.sql)).rows[0]?.pending);
      // Two fixture candidates await evaluation, both stored with confidence 0.2 (a real).
      expect(m10Count).toBe(2);
      expect(seedCount).toBe(0);
    } finally {
      await c.end();
      await db.drop();
    }
  });
});

describe("runbook anchors", () => {
  const anchorsOf = new Map(runbooks.map((runbook) => [runbook.file, runbook.anchors]));

  it("every runbook link in the Prometheus alert rules points at an existing heading", () => {
    const groups = [ALERT_RULES_FILE, DLQ_ALERT_RULES_FILE].flatMap(
      (file) => (parse(readFileSync(file, "utf8")) as { groups: { rules: { alert?: string; annotations?: { runbook?: string } }[] }[] }).groups,
    );
    const links = groups.flatMap((group) => group.rules.flatMap((rule) => (rule.annotations?.runbook ? [{ alert: rule.alert, link: rule.annotations.runbook }] : [])));
    expect(links.length).toBe(9 + 3);
    const broken = links.filter(({ link }) => {
      const match = /^docs\/runbooks\/([^#]+)#(.+)$/.exec(link);
      return !match || !anchorsOf.get(match[1]!)?.has(match[2]!);
    });
    expect(broken).toEqual([]);
  });

  it("every #anchor link between the runbooks resolves", () => {
    const links = runbooks.flatMap((runbook) => runbook.links.map((link) => ({ ...link, from: runbook.file })));
    expect(links.length).toBeGreaterThan(10);
    const broken = links.filter((link) => !anchorsOf.get(link.target)?.has(link.anchor)).map((link) => `${link.from}:${link.line} → ${link.target}#${link.anchor}`);
    expect(broken).toEqual([]);
  });
});
