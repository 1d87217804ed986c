// The suite's result: one row per fault, the invariant checks, and the violations that make the
// run fail; written as chaos/results/<date>.json and printed as a table.
import type { InvariantCheck } from "./invariants.js";
import type { PhaseStats, SecondBucket } from "./load.js";

export interface FaultResult {
  fault: string;
  started_at: string;
  fault_seconds: number;
  requests_sent: number;
  accepted: number;
  /** Every answer that was not 2xx, by status ("network", "timeout" for no answer). */
  errors_by_status: Record<string, number>;
  five_xx: number;
  skipped_by_generator: number;
  /** From the repair until ingest answered only 2xx again. */
  ingest_recovery_seconds: number;
  /** From the repair until the backlog was back near its level before the fault (null: not within the timeout). */
  backlog_recovery_seconds: number | null;
  backlog_before: number;
  backlog_peak: number;
  /** Failures first sent during this fault whose stored count is wrong or that are missing. */
  lost_or_miscounted: number;
  /** Deliveries of an already-applied key during this fault (deduplicated by the sink's key). */
  duplicate_deliveries: number;
}

export function errorsOf(stats: PhaseStats): Record<string, number> {
  return Object.fromEntries(Object.entries(stats.byStatus).filter(([status]) => !status.startsWith("2")));
}

export function fiveXxOf(stats: PhaseStats): number {
  return Object.entries(stats.byStatus).reduce((n, [label, count]) => (label.startsWith("5") ? n + count : n), 0);
}

/**
 * Seconds from `repairedAt` until the last second in [from, to] in which some answer was not 2xx
 * ended (0 when ingest never failed or was fine again by the repair).
 */
export function ingestRecoverySeconds(seconds: ReadonlyMap<number, SecondBucket>, startedAt: number, from: number, repairedAt: number, to: number): number {
  let lastFailed = -1;
  for (let s = Math.floor((from - startedAt) / 1000); s <= Math.floor((to - startedAt) / 1000); s++) {
    if ((seconds.get(s)?.failed ?? 0) > 0) lastFailed = s;
  }
  if (lastFailed < 0) return 0;
  return Math.max(0, Math.round((startedAt + (lastFailed + 1) * 1000 - repairedAt) / 100) / 10);
}

/**
 * Violations of the answers: a 5xx other than 503, a 503 outside the faults that allow it. (A
 * request without an answer, "network" or "timeout", is reported, not a violation: the ledger
 * counts it as either outcome.)
 */
export function answerViolations(fault: string, stats: PhaseStats, allows503: boolean): string[] {
  const violations: string[] = [];
  for (const [label, count] of Object.entries(stats.byStatus)) {
    const status = label.split(" ")[0] ?? "";
    if (status.startsWith("5") && status !== "503") violations.push(`${fault}: ${count} answers ${label}`);
    if (status === "503" && !allows503) violations.push(`${fault}: ${count} answers ${label} although PostgreSQL was up`);
  }
  return violations;
}

export function formatTable(rows: readonly FaultResult[]): string {
  const header = ["fault", "sent", "2xx", "5xx", "other errors", "ingest recovery s", "backlog recovery s", "backlog peak", "lost", "dup deliveries"];
  const lines = rows.map((row) => [
    row.fault,
    String(row.requests_sent),
    String(row.accepted),
    String(row.five_xx),
    Object.entries(row.errors_by_status)
      .filter(([status]) => !status.startsWith("5"))
      .map(([status, n]) => `${status}:${n}`)
      .join(" ") || "-",
    String(row.ingest_recovery_seconds),
    row.backlog_recovery_seconds === null ? "not recovered" : String(row.backlog_recovery_seconds),
    String(row.backlog_peak),
    String(row.lost_or_miscounted),
    String(row.duplicate_deliveries),
  ]);
  const table = [header, ...lines];
  return table.map((cells) => `| ${cells.join(" | ")} |`).join("\n").replace(/\n/, `\n|${header.map(() => "---").join("|")}|\n`);
}

export interface ChaosReport {
  at: string;
  passed: boolean;
  wall_seconds: number;
  settings: Record<string, unknown>;
  faults: FaultResult[];
  invariants: InvariantCheck[];
  violations: string[];
}

export function checkViolations(checks: readonly InvariantCheck[]): string[] {
  return checks.filter((check) => !check.ok).map((check) => `invariant failed: ${check.name} ${JSON.stringify(check.details)}`);
}
