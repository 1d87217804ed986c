// Dead letters of a recent window by failure reason, from the archive and from the stream (which
// may hold entries not archived yet), and the replays of the same window by status.
import { archivedDeadLettersByReason, type ReasonCount } from "../db/dead-letters.js";
import { replaysByStatus } from "../db/replay-log.js";
import { allDeadLetters } from "./dead-letter.js";
import type { DeadLetterStore } from "./dead-letter-lookup.js";

export interface DeadLetterReport {
  hours: number;
  since: string;
  archive: { total: number; by_reason: ReasonCount[] };
  /** `error` when the stream could not be read to the end (the counts cover what was read). */
  stream: { key: string; scanned: number; total: number; by_reason: ReasonCount[]; error: string | null };
  replays: { by_status: { status: string; count: number }[] };
}

const sum = (rows: readonly ReasonCount[]) => rows.reduce((total, row) => total + row.count, 0);

/** The stream's entries since `since` by reason, largest group first. */
async function streamReasons(store: DeadLetterStore, since: Date): Promise<{ scanned: number; byReason: ReasonCount[]; error: string | null }> {
  const counts = new Map<string, ReasonCount>();
  let scanned = 0;
  let error: string | null = null;
  try {
    for await (const entry of allDeadLetters(await store.redis(), store.keys)) {
      scanned += 1;
      const at = entry.deadLetteredAt ? new Date(entry.deadLetteredAt) : null;
      if (at && !Number.isNaN(at.getTime()) && at < since) continue;
      const reason = entry.reason ?? "(none)";
      const row = counts.get(reason) ?? { reason, count: 0, oldest: entry.deadLetteredAt, newest: entry.deadLetteredAt };
      row.count += 1;
      row.newest = entry.deadLetteredAt ?? row.newest;
      counts.set(reason, row);
    }
  } catch (failure) {
    error = failure instanceof Error ? failure.message : String(failure);
  }
  const byReason = [...counts.values()].sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
  return { scanned, byReason, error };
}

/** Dead letters of the last `hours`; an unreadable stream is reported in stream.error, not thrown. */
export async function deadLetterReport(store: DeadLetterStore, hours: number): Promise<DeadLetterReport> {
  const archive = await archivedDeadLettersByReason(store.db, hours);
  const replays = await replaysByStatus(store.db, hours);
  const since = new Date(Date.now() - hours * 3_600_000);
  const stream = await streamReasons(store, since);
  return {
    hours,
    since: since.toISOString(),
    archive: { total: sum(archive), by_reason: archive },
    stream: { key: store.keys.deadLetter, scanned: stream.scanned, total: sum(stream.byReason), by_reason: stream.byReason, error: stream.error },
    replays: { by_status: replays },
  };
}
