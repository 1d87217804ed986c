// What the chaos scripts look at: ingest answers, /ready, the database, and the recovery probe
// (a fresh failure is accepted and evaluated again).
import { randomUUID } from "node:crypto";
import type pg from "pg";
import type { ChaosConfig } from "./config.js";
import type { ExperimentReport } from "./report.js";

export interface IngestAnswer {
  status: number;
  /** 0 when the request got no answer (connection refused, timeout). */
  retryAfter: string | null;
  candidateId: number | undefined;
}

/** POSTs one new failure; a refused or timed-out request is status 0. */
export async function ingestFailure(config: ChaosConfig, errorType = "CHAOS_PROBE"): Promise<IngestAnswer> {
  try {
    const response = await fetch(`${config.urls.ingest}/api/v1/recovery/ingest`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${config.machineToken}` },
      body: JSON.stringify({ failure_match_id: randomUUID(), failure_payload: { error_type: errorType, raw: `chaos experiment ${errorType}` }, source: "chaos" }),
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await response.json().catch(() => ({}))) as { candidate_id?: number };
    return { status: response.status, retryAfter: response.headers.get("retry-after"), candidateId: body.candidate_id };
  } catch {
    return { status: 0, retryAfter: null, candidateId: undefined };
  }
}

/** Counts answers by status ("0" = no answer) for the report. */
export class StatusTally {
  readonly counts = new Map<number, number>();
  readonly accepted: number[] = [];
  /** 503 answers without a Retry-After header. */
  bare503 = 0;

  add(answer: IngestAnswer): void {
    this.counts.set(answer.status, (this.counts.get(answer.status) ?? 0) + 1);
    if (answer.status >= 200 && answer.status < 300 && answer.candidateId !== undefined) this.accepted.push(answer.candidateId);
    if (answer.status === 503 && !answer.retryAfter) this.bare503 += 1;
  }

  get total(): number {
    return [...this.counts.values()].reduce((a, b) => a + b, 0);
  }

  count(predicate: (status: number) => boolean): number {
    return [...this.counts].filter(([status]) => predicate(status)).reduce((sum, [, n]) => sum + n, 0);
  }

  toString(): string {
    return [...this.counts].sort(([a], [b]) => a - b).map(([status, n]) => `${status === 0 ? "no answer" : status}: ${n}`).join(", ") || "none";
  }
}

/** Sends one failure every `intervalMs` until `stop()`; resolves with the tally. */
export function steadyIngest(config: ChaosConfig, intervalMs = 250): { stop(): Promise<StatusTally>; tally: StatusTally } {
  const tally = new StatusTally();
  let running = true;
  const loop = (async () => {
    while (running) {
      const next = Date.now() + intervalMs;
      tally.add(await ingestFailure(config, "CHAOS_LOAD"));
      await sleep(Math.max(0, next - Date.now()));
    }
  })();
  return {
    tally,
    stop: async () => {
      running = false;
      await loop;
      return tally;
    },
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls until `probe` is true; resolves with the time it took, rejects after the deadline. */
export async function timeUntil(what: string, probe: () => Promise<boolean>, timeoutMs: number, intervalMs = 250): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await probe().catch(() => false)) return Date.now() - started;
    await sleep(intervalMs);
  }
  throw new Error(`${what}: not within ${Math.round(timeoutMs / 1000)} s`);
}

export async function httpStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  try {
    const response = await fetch(url, { headers, signal: AbortSignal.timeout(5_000) });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return 0;
  }
}

export async function readyStatus(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  try {
    const response = await fetch(`${url}/ready`, { signal: AbortSignal.timeout(5_000) });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  } catch {
    return { status: 0, body: {} };
  }
}

export async function unevaluated(db: pg.Pool, candidateIds: number[]): Promise<number> {
  if (candidateIds.length === 0) return 0;
  const result = await db.query<{ n: string }>("SELECT count(*) AS n FROM public.recovery_candidates WHERE id = ANY($1::int[]) AND evaluated_at IS NULL", [candidateIds]);
  return Number(result.rows[0]?.n ?? 0);
}

/**
 * Recovery: a new failure is accepted (retried while ingest answers 503 or not at all), and it and
 * every candidate the experiment had accepted are evaluated. Timed from the report's fault end.
 */
export async function awaitRecovery(config: ChaosConfig, db: pg.Pool, report: ExperimentReport, accepted: number[] = []): Promise<void> {
  const deadline = config.recoveryTargetSeconds * 1000 + 60_000;
  let canary: IngestAnswer | undefined;
  await timeUntil(
    "ingest accepts a new failure",
    async () => {
      canary = await ingestFailure(config);
      return canary.status === 202;
    },
    deadline,
    500,
  );
  const waitFor = [...accepted, canary?.candidateId ?? -1];
  await timeUntil("every accepted candidate is evaluated", async () => (await unevaluated(db, waitFor)) === 0, deadline, 500);
  report.recovered();
  report.check("every candidate accepted during the experiment was evaluated", true, `${waitFor.length} candidates, the probe included`);
  const notOnce = await evaluatedNotOnce(db, waitFor);
  report.check("each was evaluated exactly once (one provenance `created`)", notOnce.length === 0, notOnce.length ? `candidates ${notOnce.slice(0, 10).join(", ")}` : "");
}

/** Candidates whose provenance does not hold exactly one `created` event. */
export async function evaluatedNotOnce(db: pg.Pool, candidateIds: number[]): Promise<number[]> {
  const result = await db.query<{ id: number }>(
    `SELECT c.id FROM public.recovery_candidates c
       LEFT JOIN m10_recovery.suggestion_provenance p ON p.suggestion_id = c.id AND p.event_type = 'created'
      WHERE c.id = ANY($1::int[]) GROUP BY c.id HAVING count(p.id) <> 1`,
    [candidateIds],
  );
  return result.rows.map((row) => row.id);
}
