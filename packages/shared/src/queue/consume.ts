// Consuming the evaluation stream with its consumer group (docs/architecture.md §4.5):
//   - the group is created from id 0 with MKSTREAM, so entries added before any worker existed
//     are delivered;
//   - XREADGROUP ... BLOCK runs on a dedicated connection (a blocked connection cannot serve
//     other commands, and its command timeout must outlast the BLOCK);
//   - an entry is acknowledged with XACK + XDEL once its effect is committed, so XLEN is the
//     backlog (undelivered + pending), not a history that only MAXLEN trimming shrinks.
// A Redis restart that lost its data also loses the group: every call here that can meet NOGROUP
// recreates the group and carries on, so a worker resumes without a restart.
import type { RedisOptions } from "ioredis";
import { createRedisClient, type RedisClient } from "../redis/client.js";
import type { StreamKeys } from "../redis/keys.js";

/** One entry of the evaluation stream, parsed (fields of queue/enqueue.ts streamFields). */
export interface StreamMessage {
  id: string;
  /** Every field as written, including any the parser does not know. */
  fields: Record<string, string>;
  /** null when missing or not a positive 32-bit integer: such an entry can never be evaluated. */
  candidateId: number | null;
  priority: number;
  enqueuedAt: string | null;
  /** The `metadata` JSON object; {} when absent or not valid JSON. */
  metadata: Record<string, unknown>;
  idempotencyKey: string | null;
  /** Delivery count, when known (entries claimed from the pending list). */
  deliveries?: number;
}

const MAX_INT4 = 2_147_483_647;

export function fieldsToRecord(flat: readonly string[]): Record<string, string> {
  const record: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) record[flat[i] as string] = flat[i + 1] as string;
  return record;
}

export function parseCandidateId(value: string | undefined): number | null {
  if (value === undefined || !/^\d{1,10}$/.test(value)) return null;
  const id = Number(value);
  return id >= 1 && id <= MAX_INT4 ? id : null;
}

export function parseStreamMessage(id: string, flat: readonly string[]): StreamMessage {
  const fields = fieldsToRecord(flat);
  let metadata: Record<string, unknown> = {};
  if (fields.metadata) {
    try {
      const parsed: unknown = JSON.parse(fields.metadata);
      if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) metadata = parsed as Record<string, unknown>;
    } catch {
      metadata = {};
    }
  }
  const priority = Number(fields.priority ?? 0);
  return {
    id,
    fields,
    candidateId: parseCandidateId(fields.candidate_id),
    priority: Number.isFinite(priority) ? priority : 0,
    enqueuedAt: fields.enqueued_at || null,
    metadata,
    idempotencyKey: fields.idempotency_key || null,
  };
}

/** [id, [field, value, ...]] entries as XRANGE / XREADGROUP / XCLAIM return them. */
export function parseEntries(entries: unknown): StreamMessage[] {
  if (!Array.isArray(entries)) return [];
  const messages: StreamMessage[] = [];
  for (const entry of entries) {
    // XCLAIM returns nil for an entry that was deleted from the stream.
    if (!Array.isArray(entry) || typeof entry[0] !== "string" || !Array.isArray(entry[1])) continue;
    messages.push(parseStreamMessage(entry[0], entry[1] as string[]));
  }
  return messages;
}

export function isNoGroupError(error: unknown): boolean {
  return error instanceof Error && error.message.includes("NOGROUP");
}

/**
 * XGROUP CREATE <stream> <group> <startId> MKSTREAM. Returns true when the group was created,
 * false when it already existed (BUSYGROUP).
 */
export async function ensureConsumerGroup(redis: RedisClient, keys: StreamKeys, startId = "0"): Promise<boolean> {
  try {
    await redis.xgroup("CREATE", keys.stream, keys.group, startId, "MKSTREAM");
    return true;
  } catch (error) {
    if (error instanceof Error && error.message.includes("BUSYGROUP")) return false;
    throw error;
  }
}

/**
 * Ensures the group and registers `consumer` in it (XGROUP CREATECONSUMER), so a worker shows in
 * XINFO GROUPS / XINFO CONSUMERS from the start, not only after its first delivery (Redis 7.0
 * does not register a consumer whose XREADGROUP returned nothing).
 */
export async function registerConsumer(redis: RedisClient, keys: StreamKeys, consumer: string): Promise<void> {
  await ensureConsumerGroup(redis, keys);
  await redis.xgroup("CREATECONSUMER", keys.stream, keys.group, consumer);
}

/** Runs `command`; on NOGROUP (Redis lost the group) recreates the group from 0 and runs it once more. */
export async function withGroup<T>(redis: RedisClient, keys: StreamKeys, command: () => Promise<T>): Promise<T> {
  try {
    return await command();
  } catch (error) {
    if (!isNoGroupError(error)) throw error;
    await ensureConsumerGroup(redis, keys);
    return command();
  }
}

/**
 * The dedicated connection for XREADGROUP BLOCK: same URL and reconnect policy as the main
 * client, with a command timeout that outlasts the BLOCK.
 */
export function createBlockingClient(url: string, blockMs: number, extra: RedisOptions = {}): RedisClient {
  return createRedisClient(url, { commandTimeout: blockMs + 5_000, connectionName: "m10-xreadgroup", ...extra });
}

export interface ReadGroupOptions {
  count: number;
  /** 0 = do not block (return at once when nothing is there). */
  blockMs: number;
}

/** New entries for `consumer` (XREADGROUP ... STREAMS <stream> >). Recreates a lost group. */
export async function readGroup(redis: RedisClient, keys: StreamKeys, consumer: string, options: ReadGroupOptions): Promise<StreamMessage[]> {
  const block = options.blockMs > 0 ? ["BLOCK", String(options.blockMs)] : [];
  const reply = await withGroup(redis, keys, () =>
    redis.call("XREADGROUP", "GROUP", keys.group, consumer, "COUNT", String(options.count), ...block, "STREAMS", keys.stream, ">"),
  );
  if (!Array.isArray(reply)) return []; // nil: BLOCK timed out
  const stream = reply.find((item: unknown) => Array.isArray(item) && item[0] === keys.stream) as [string, unknown] | undefined;
  return stream ? parseEntries(stream[1]) : [];
}

/**
 * XACK + XDEL of entries whose effect is committed, atomically (MULTI). Returns how many were
 * still pending (0 for an entry another consumer already acknowledged).
 */
export async function acknowledge(redis: RedisClient, keys: StreamKeys, ids: readonly string[]): Promise<number> {
  if (ids.length === 0) return 0;
  const replies = await redis.multi().xack(keys.stream, keys.group, ...ids).xdel(keys.stream, ...ids).exec();
  if (!replies) throw new Error("acknowledge: transaction aborted");
  const [ackError, acked] = replies[0] ?? [];
  if (ackError) throw ackError;
  const [delError] = replies[1] ?? [];
  if (delError) throw delError;
  return Number(acked ?? 0);
}

/**
 * XGROUP DELCONSUMER when the consumer has nothing pending (deleting a consumer with pending
 * entries would drop them from the group's pending list). For a clean shutdown, so dead consumer
 * names do not pile up in XINFO GROUPS.
 */
export async function deleteConsumerIfIdle(redis: RedisClient, keys: StreamKeys, consumer: string): Promise<boolean> {
  const consumers = await listConsumers(redis, keys);
  const mine = consumers.find((c) => c.name === consumer);
  if (!mine || mine.pending > 0) return false;
  await redis.xgroup("DELCONSUMER", keys.stream, keys.group, consumer);
  return true;
}

export interface ConsumerInfo {
  name: string;
  pending: number;
  idleMs: number;
}

export async function listConsumers(redis: RedisClient, keys: StreamKeys): Promise<ConsumerInfo[]> {
  const reply = (await redis.call("XINFO", "CONSUMERS", keys.stream, keys.group)) as unknown[];
  return reply.map((row) => {
    const info = fieldsToRecord((row as unknown[]).map(String));
    return { name: info.name ?? "", pending: Number(info.pending ?? 0), idleMs: Number(info.idle ?? 0) };
  });
}

/** What the runbook's XLEN / XINFO GROUPS / XPENDING show, in one object (for /health/detailed and m10ctl). */
export interface StreamStatus {
  length: number;
  deadLetterLength: number;
  groupExists: boolean;
  /** Entries delivered and not yet acknowledged. */
  pending: number;
  /** Consumers registered in the group (XINFO GROUPS "consumers"), idle ones included. */
  consumers: number;
  lastDeliveredId: string | null;
  /** Entries never delivered to the group (Redis ≥ 7: XINFO GROUPS "lag"); null when unknown. */
  lag: number | null;
  /** Consumer lag in seconds: the age of the oldest entry not yet acknowledged (consumerLagSeconds). */
  lagSeconds: number;
}

/** The millisecond time part of a stream entry id ("1712345678901-0"). */
function entryTimeMs(id: string): number {
  return Number(id.split("-", 1)[0]);
}

/**
 * Consumer lag in seconds, the Phase 7 runbook's `consumer_lag_seconds`: how long ago the oldest
 * entry the group has not acknowledged was added, whether delivered and pending (XPENDING's
 * smallest id) or not yet delivered (the first entry after the group's last-delivered-id).
 * 0 when the group has nothing outstanding; the whole stream counts when the group does not exist.
 */
export async function consumerLagSeconds(redis: RedisClient, keys: StreamKeys, lastDeliveredId: string | null, now = Date.now()): Promise<number> {
  const [summary, undelivered] = await Promise.all([
    redis.call("XPENDING", keys.stream, keys.group).catch((error: unknown) => {
      if (error instanceof Error && /NOGROUP|no such key/i.test(error.message)) return null;
      throw error;
    }),
    redis.xrange(keys.stream, lastDeliveredId ? `(${lastDeliveredId}` : "-", "+", "COUNT", 1),
  ]);
  const oldestPending = Array.isArray(summary) && summary[1] ? String(summary[1]) : undefined;
  const times = [oldestPending, undelivered[0]?.[0]].flatMap((id) => (id ? [entryTimeMs(id)] : []));
  return times.length === 0 ? 0 : Math.max(0, (now - Math.min(...times)) / 1000);
}

export async function streamStatus(redis: RedisClient, keys: StreamKeys): Promise<StreamStatus> {
  const [length, deadLetterLength, groups] = await Promise.all([
    redis.xlen(keys.stream),
    redis.xlen(keys.deadLetter),
    redis.call("XINFO", "GROUPS", keys.stream).catch((error: unknown) => {
      if (error instanceof Error && /no such key/i.test(error.message)) return [];
      throw error;
    }),
  ]);
  const group = (groups as unknown[])
    .map((row) => fieldsToRecord((row as unknown[]).map((v) => (v === null ? "" : String(v)))))
    .find((info) => info.name === keys.group);
  const lastDeliveredId = group?.["last-delivered-id"] ?? null;
  return {
    length,
    deadLetterLength,
    groupExists: group !== undefined,
    pending: Number(group?.pending ?? 0),
    consumers: Number(group?.consumers ?? 0),
    lastDeliveredId,
    lag: group?.lag !== undefined && group.lag !== "" ? Number(group.lag) : null,
    lagSeconds: await consumerLagSeconds(redis, keys, lastDeliveredId),
  };
}
