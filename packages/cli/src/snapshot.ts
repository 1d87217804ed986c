// The handbook's pre-migration snapshot procedure (§12, Risk 4) with pg_dump / pg_restore:
// a custom-format dump named <label>_YYYY-MM-DD_HHMM.dump, verified with pg_restore --list and
// recorded in migration_log.txt; and a restore test into a scratch database that is dropped after.
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, existsSync } from "node:fs";
import { appendFile, mkdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { outboxTotals } from "@m10/shared";
import pg from "pg";

export class PgToolError extends Error {
  constructor(
    readonly tool: string,
    readonly code: number | null,
    readonly stderr: string,
  ) {
    super(`${tool} failed (exit ${code ?? "signal"}): ${stderr.trim().split("\n").slice(-5).join(" | ") || "no output"}`);
    this.name = "PgToolError";
  }
}

export interface ToolResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function pgTool(binDir: string | undefined, name: "pg_dump" | "pg_restore"): string {
  return binDir ? join(binDir, name) : name;
}

/**
 * A connection URL without its password, and the password as PGPASSWORD: a password on the
 * command line would be visible to every user in `ps`.
 */
export function connectionArgs(url: string): { url: string; env: Record<string, string> } {
  const parsed = new URL(url);
  const password = decodeURIComponent(parsed.password);
  parsed.password = "";
  return { url: parsed.toString(), env: password ? { PGPASSWORD: password } : {} };
}

export function runTool(command: string, args: string[], env: Record<string, string> = {}): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** The handbook's DATE=$(date +%Y-%m-%d_%H%M), in local time. */
export function snapshotStamp(now = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}_${pad(now.getHours())}${pad(now.getMinutes())}`;
}

async function sha256(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** Entries of the archive's table of contents (pg_restore --list, comment lines excluded). */
export async function tocEntries(binDir: string | undefined, file: string): Promise<number> {
  const listed = await runTool(pgTool(binDir, "pg_restore"), ["--list", file]);
  if (listed.code !== 0) throw new PgToolError("pg_restore --list", listed.code, listed.stderr);
  return listed.stdout.split("\n").filter((line) => line.trim() !== "" && !line.startsWith(";")).length;
}

export interface SnapshotResult {
  file: string;
  size_bytes: number;
  sha256: string;
  toc_entries: number;
  log_file: string;
}

export async function takeSnapshot(options: { databaseUrl: string; dir: string; label: string; note: string; binDir: string | undefined; now?: Date }): Promise<SnapshotResult> {
  await mkdir(options.dir, { recursive: true });
  const stamp = snapshotStamp(options.now);
  let file = join(options.dir, `${options.label}_${stamp}.dump`);
  // Two snapshots in the same minute: never overwrite the first.
  for (let n = 2; existsSync(file); n++) file = join(options.dir, `${options.label}_${stamp}_${n}.dump`);
  const connection = connectionArgs(options.databaseUrl);
  const dumped = await runTool(pgTool(options.binDir, "pg_dump"), ["-Fc", "-f", file, "--dbname", connection.url], connection.env);
  if (dumped.code !== 0) throw new PgToolError("pg_dump", dumped.code, dumped.stderr);
  const toc = await tocEntries(options.binDir, file);
  const logFile = join(options.dir, "migration_log.txt");
  await appendFile(logFile, `${stamp}: ${options.note} (${file})\n`);
  return { file, size_bytes: (await stat(file)).size, sha256: await sha256(file), toc_entries: toc, log_file: logFile };
}

export interface VerifyResult {
  file: string;
  scratch_database: string;
  toc_entries: number;
  outbox_rows: number;
  restore_warnings: string[];
  dropped: boolean;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** Restores `file` into a new scratch database on the same server, counts m10_recovery.outbox, drops it. */
export async function verifySnapshot(options: { databaseUrl: string; file: string; binDir: string | undefined }): Promise<VerifyResult> {
  if (!existsSync(options.file)) throw new Error(`no such file: ${options.file}`);
  const toc = await tocEntries(options.binDir, options.file);
  const source = new URL(options.databaseUrl).pathname.replace(/^\//, "") || "postgres";
  const scratch = `${source}_restore_test_${randomBytes(3).toString("hex")}`.toLowerCase().replace(/[^a-z0-9_]/g, "_");
  const admin = new pg.Client({ connectionString: options.databaseUrl });
  await admin.connect();
  const result: VerifyResult = { file: options.file, scratch_database: scratch, toc_entries: toc, outbox_rows: 0, restore_warnings: [], dropped: false };
  try {
    await admin.query(`CREATE DATABASE "${scratch}"`);
    try {
      const connection = connectionArgs(withDatabase(options.databaseUrl, scratch));
      const restored = await runTool(pgTool(options.binDir, "pg_restore"), ["--no-owner", "--no-privileges", "--dbname", connection.url, options.file], connection.env);
      result.restore_warnings = restored.stderr.split("\n").filter((line) => line.trim() !== "");
      if (restored.code !== 0) throw new PgToolError("pg_restore", restored.code, restored.stderr);
      const check = new pg.Client({ connectionString: withDatabase(options.databaseUrl, scratch) });
      await check.connect();
      try {
        result.outbox_rows = (await outboxTotals(check)).total;
      } finally {
        await check.end();
      }
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS "${scratch}" WITH (FORCE)`);
      result.dropped = true;
    }
  } finally {
    await admin.end();
  }
  return result;
}
