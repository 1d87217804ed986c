// Concurrent single ingests share one upsert statement (issue 16). Upserts asked for while the
// event loop handles one round of I/O (many requests parsed together) are written on the next
// setImmediate in one multi-row statement, so one round trip and one commit serve them all; each
// caller still gets its own row's result, with the single upsert's semantics:
// - an input whose failure_match_id or idempotency key another input of the round already has
//   goes through the single upsert after the shared statement (one statement cannot touch a row
//   or record a key twice), so duplicates count and replays match exactly as before;
// - an input the statement returned no row for (another tenant's failure, a key replay committed
//   concurrently) goes through the single upsert too, which tells those cases apart;
// - a race that fails the statement as a whole (isRowRaceError) wrote nothing: every input goes
//   through the single upsert; any other error (the database is down) fails every caller.
import {
  type IngestedCandidate,
  type IngestUpsertResult,
  isRowRaceError,
  type Queryable,
  upsertDistinctIngestedCandidates,
  upsertIngestedCandidate,
} from "@m10/shared";

interface Waiter {
  candidate: IngestedCandidate;
  resolve: (result: IngestUpsertResult) => void;
  reject: (error: unknown) => void;
}

/** Rows per shared statement: bounds its size and its locks; a bigger round runs several. */
export const MAX_ROWS_PER_STATEMENT = 200;

export class UpsertCoalescer {
  private waiting: Waiter[] = [];
  private flushScheduled = false;

  constructor(private readonly db: Queryable) {}

  /** The candidate's upsert result, written together with the other upserts of this round. */
  upsert(candidate: IngestedCandidate): Promise<IngestUpsertResult> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ candidate, resolve, reject });
      if (this.flushScheduled) return;
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        const round = this.waiting;
        this.waiting = [];
        void this.flush(round);
      });
    });
  }

  private async flush(round: Waiter[]): Promise<void> {
    const shared: Waiter[] = [];
    const alone: Waiter[] = [];
    const failures = new Set<string>();
    const keys = new Set<string>();
    for (const waiter of round) {
      const { failureMatchId, idempotencyKey } = waiter.candidate;
      if (failures.has(failureMatchId) || (idempotencyKey !== null && keys.has(idempotencyKey))) {
        alone.push(waiter);
        continue;
      }
      failures.add(failureMatchId);
      if (idempotencyKey !== null) keys.add(idempotencyKey);
      shared.push(waiter);
    }
    if (shared.length === 1) alone.unshift(...shared);
    else {
      const statements: Promise<Waiter[]>[] = [];
      for (let start = 0; start < shared.length; start += MAX_ROWS_PER_STATEMENT) {
        statements.push(this.writeShared(shared.slice(start, start + MAX_ROWS_PER_STATEMENT)));
      }
      for (const left of await Promise.all(statements)) alone.push(...left);
    }
    await Promise.all(alone.map((waiter) => upsertIngestedCandidate(this.db, waiter.candidate).then(waiter.resolve, waiter.reject)));
  }

  /** One statement for `waiters`; returns those that need the single upsert. */
  private async writeShared(waiters: Waiter[]): Promise<Waiter[]> {
    try {
      const results = await upsertDistinctIngestedCandidates(
        this.db,
        waiters.map((waiter) => waiter.candidate),
      );
      return waiters.filter((waiter, i) => {
        const result = results[i];
        if (result) waiter.resolve(result);
        return result === undefined;
      });
    } catch (error) {
      if (isRowRaceError(error)) return waiters;
      for (const waiter of waiters) waiter.reject(error);
      return [];
    }
  }
}
