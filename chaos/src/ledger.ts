// What the load generator knows about every failure it sent: how many occurrences ingest
// confirmed (a 2xx for a request that counts one) and how many requests ended without an answer
// that says (a timeout, a reset, a 5xx: the write may or may not have committed). At the end,
// every failure's occurrence_count must lie in [confirmed, confirmed + ambiguous], and be exactly
// `confirmed` when nothing was ambiguous.

/** How a request relates to the failure it names. */
export type Intent = "new" | "repeat" | "replay";

/** What ingest answered for one failure (one single request, or one item of a batch). */
export type Answer = "accepted" | "duplicate" | "rejected" | "refused" | "unknown";

export interface FailureRecord {
  confirmed: number;
  ambiguous: number;
  /** The phase (warm-up, a fault) in which the failure was first sent. */
  phase: string;
}

export interface LedgerMismatch {
  failureMatchId: string;
  phase: string;
  expected: string;
  found: number | "missing";
}

export class Ledger {
  readonly failures = new Map<string, FailureRecord>();
  /** Answers that contradict the request (a repeat answered "accepted", a new failure "duplicate"). */
  readonly contradictions: string[] = [];

  /**
   * Records one answer. "refused" is a 4xx given before any write (rate limit, validation) and
   * counts nothing; "unknown" may have counted one occurrence, unless the request was a replay.
   */
  record(failureMatchId: string, intent: Intent, answer: Answer, phase: string): void {
    const entry = this.failures.get(failureMatchId) ?? { confirmed: 0, ambiguous: 0, phase };
    this.failures.set(failureMatchId, entry);
    if (answer === "refused" || answer === "rejected") {
      if (answer === "rejected") this.contradictions.push(`${failureMatchId}: ${intent} item rejected`);
      return;
    }
    if (answer === "unknown") {
      if (intent !== "replay") entry.ambiguous += 1;
      return;
    }
    const expected = intent === "new" ? "accepted" : "duplicate";
    if (answer !== expected) this.contradictions.push(`${failureMatchId}: ${intent} answered ${answer}`);
    if (intent !== "replay") entry.confirmed += 1;
  }

  /** Failures ingest confirmed at least once: they must exist. */
  confirmedCount(): number {
    let n = 0;
    for (const entry of this.failures.values()) if (entry.confirmed > 0) n += 1;
    return n;
  }

  /**
   * Compares the stored occurrence counts (failure_match_id → occurrence_count) with the ledger:
   * a confirmed failure missing or counted outside its bounds, and a stored failure the generator
   * never sent, are mismatches.
   */
  compare(stored: ReadonlyMap<string, number>): LedgerMismatch[] {
    const mismatches: LedgerMismatch[] = [];
    for (const [failureMatchId, entry] of this.failures) {
      const found = stored.get(failureMatchId);
      const low = entry.confirmed;
      const high = entry.confirmed + entry.ambiguous;
      if (found === undefined) {
        if (low > 0) mismatches.push({ failureMatchId, phase: entry.phase, expected: `${low}..${high}`, found: "missing" });
      } else if (found < Math.max(low, 1) || found > high) {
        mismatches.push({ failureMatchId, phase: entry.phase, expected: `${low}..${high}`, found });
      }
    }
    for (const [failureMatchId, found] of stored) {
      if (!this.failures.has(failureMatchId)) mismatches.push({ failureMatchId, phase: "?", expected: "never sent", found });
    }
    return mismatches;
  }
}
