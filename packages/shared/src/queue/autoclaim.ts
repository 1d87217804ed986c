// Reclaiming stalled stream entries (docs/architecture.md §2 promise 5, §4.5, §5.2).
//
// An entry delivered to a consumer that never acknowledged it (crash, failure, lease held
// elsewhere) stays in the group's pending list. A scan reads the pending list with delivery
// counts and idle times (XPENDING extended form, IDLE filter) and decides per entry:
//   - deliveries >= maxDeliveries      -> dead-letter it (queue/dead-letter.ts), not deliver again;
//   - idle >= requiredIdleMs(deliveries) -> claim it (XCLAIM to this consumer, delivery count + 1);
//   - otherwise                          -> leave it (backoff not elapsed).
// The backoff is exponential in the delivery count: baseIdle * 2^(deliveries - 1), capped.
// The claim is XCLAIM of the chosen ids with min-idle = baseIdle, not XAUTOCLAIM: XAUTOCLAIM
// applies one idle threshold to every entry, which cannot express a per-entry backoff. XCLAIM's
// min-idle keeps it race-free: once one consumer claims an entry its idle time resets, so a
// second consumer's XCLAIM of the same id claims nothing.
import type { RedisClient } from "../redis/client.js";
import type { StreamKeys } from "../redis/keys.js";
import { parseEntries, withGroup, type StreamMessage } from "./consume.js";

export interface PendingEntry {
  id: string;
  consumer: string;
  idleMs: number;
  deliveries: number;
}

/** XPENDING <stream> <group> [IDLE minIdleMs] - + count [consumer]: the oldest pending entries. */
export async function pendingEntries(
  redis: RedisClient,
  keys: StreamKeys,
  options: { count: number; minIdleMs?: number; consumer?: string },
): Promise<PendingEntry[]> {
  const idle = options.minIdleMs && options.minIdleMs > 0 ? ["IDLE", String(options.minIdleMs)] : [];
  const consumer = options.consumer ? [options.consumer] : [];
  const reply = await withGroup(redis, keys, () =>
    redis.call("XPENDING", keys.stream, keys.group, ...idle, "-", "+", String(options.count), ...consumer),
  );
  if (!Array.isArray(reply)) return [];
  return reply.map((row) => {
    const [id, owner, idleMs, deliveries] = row as [string, string, number, number];
    return { id, consumer: owner, idleMs: Number(idleMs), deliveries: Number(deliveries) };
  });
}

/** Idle time an entry delivered `deliveries` times must reach before it is claimed again. */
export function requiredIdleMs(deliveries: number, baseIdleMs: number, maxBackoffMs: number): number {
  const exponent = Math.max(0, Math.min(deliveries - 1, 40));
  return Math.min(baseIdleMs * 2 ** exponent, Math.max(maxBackoffMs, baseIdleMs));
}

export interface ReclaimPolicy {
  /** M10_CLAIM_IDLE_MS: idle time before the first reclaim. */
  baseIdleMs: number;
  /** M10_RECLAIM_MAX_BACKOFF_MS. */
  maxBackoffMs: number;
  /** M10_MAX_RECLAIM_ATTEMPTS: deliveries after which an entry is dead-lettered instead. */
  maxDeliveries: number;
}

export interface ReclaimPlan {
  claim: PendingEntry[];
  deadLetter: PendingEntry[];
  /** Idle, but the backoff for their delivery count has not elapsed yet. */
  deferred: PendingEntry[];
}

/** Pure: what to do with each pending entry (all of them idle at least baseIdleMs). */
export function planReclaim(entries: readonly PendingEntry[], policy: ReclaimPolicy): ReclaimPlan {
  const plan: ReclaimPlan = { claim: [], deadLetter: [], deferred: [] };
  for (const entry of entries) {
    const required = requiredIdleMs(entry.deliveries, policy.baseIdleMs, policy.maxBackoffMs);
    if (entry.idleMs < required) plan.deferred.push(entry);
    else if (entry.deliveries >= policy.maxDeliveries) plan.deadLetter.push(entry);
    else plan.claim.push(entry);
  }
  return plan;
}

/**
 * XCLAIM <ids> for `consumer` with min-idle `minIdleMs`. Returns the claimed entries (delivery
 * count attached) and the ids that were not claimed: taken by another consumer in the meantime,
 * or deleted from the stream (Redis 7 then drops them from the pending list).
 */
export async function claimEntries(
  redis: RedisClient,
  keys: StreamKeys,
  consumer: string,
  minIdleMs: number,
  entries: readonly PendingEntry[],
): Promise<{ messages: StreamMessage[]; missedIds: string[] }> {
  if (entries.length === 0) return { messages: [], missedIds: [] };
  const ids = entries.map((entry) => entry.id);
  const reply = await withGroup(redis, keys, () => redis.call("XCLAIM", keys.stream, keys.group, consumer, String(minIdleMs), ...ids));
  const messages = parseEntries(reply);
  const byId = new Map(entries.map((entry) => [entry.id, entry]));
  for (const message of messages) message.deliveries = (byId.get(message.id)?.deliveries ?? 0) + 1;
  const claimed = new Set(messages.map((message) => message.id));
  return { messages, missedIds: ids.filter((id) => !claimed.has(id)) };
}

export interface ReclaimScan {
  /** Entries now delivered to this consumer: evaluate them. */
  claimed: StreamMessage[];
  /** Entries to move to the dead-letter stream (with their delivery counts). */
  deadLetterDue: PendingEntry[];
  deferred: number;
  /** Chosen for a claim but taken by another consumer or deleted meanwhile. */
  missed: number;
}

/** One reclaim scan: XPENDING (idle >= base), plan, XCLAIM. Dead-lettering is the caller's next step. */
export async function reclaimStalled(
  redis: RedisClient,
  keys: StreamKeys,
  consumer: string,
  policy: ReclaimPolicy & { count: number },
): Promise<ReclaimScan> {
  const entries = await pendingEntries(redis, keys, { count: policy.count, minIdleMs: policy.baseIdleMs });
  const plan = planReclaim(entries, policy);
  const { messages, missedIds } = await claimEntries(redis, keys, consumer, policy.baseIdleMs, plan.claim);
  return { claimed: messages, deadLetterDue: plan.deadLetter, deferred: plan.deferred.length, missed: missedIds.length };
}
