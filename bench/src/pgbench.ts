import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface PgbenchResult {
  tps: number;
  latency_avg_ms: number;
  transactions: number;
  clients: number;
  seconds: number;
}

/** Reads the figures pgbench prints ("tps = 1234.5 (without initial connection time)", "latency average = 1.2 ms"). */
export function parsePgbenchOutput(output: string): Pick<PgbenchResult, "tps" | "latency_avg_ms" | "transactions"> {
  const tps = /tps = ([\d.]+)/.exec(output)?.[1];
  const latency = /latency average = ([\d.]+) ms/.exec(output)?.[1];
  const transactions = /number of transactions actually processed: (\d+)/.exec(output)?.[1];
  if (!tps || !latency || !transactions) throw new Error(`unexpected pgbench output:\n${output}`);
  return { tps: Number(tps), latency_avg_ms: Number(latency), transactions: Number(transactions) };
}

/** The single-row upsert ingest performs, as the baseline ingest is measured against. */
export const UPSERT_SCRIPT = `INSERT INTO recovery_candidates (failure_match_id, suggestion, confidence, error_code, error_signature, source, explain)
VALUES (gen_random_uuid(), 'Retry with exponential backoff', 0.2, 'TIMEOUT', 'a1b2c3d4e5f60718', 'pgbench', '{"method":"pending_evaluation"}')
ON CONFLICT (failure_match_id) DO UPDATE SET occurrence_count = recovery_candidates.occurrence_count + 1, last_occurrence_at = now();
`;

export async function pgbenchUpsert(databaseUrl: string, clients: number, seconds: number): Promise<PgbenchResult> {
  const dir = mkdtempSync(join(tmpdir(), "m10-pgbench-"));
  const script = join(dir, "upsert.sql");
  writeFileSync(script, UPSERT_SCRIPT);
  const { stdout } = await run("pgbench", ["-n", "-c", String(clients), "-j", "2", "-T", String(seconds), "-f", script, databaseUrl], {
    maxBuffer: 16 * 1024 * 1024,
  });
  return { ...parsePgbenchOutput(stdout), clients, seconds };
}
