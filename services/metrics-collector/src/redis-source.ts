/**
 * The Redis side of the collection: evaluation stream, consumer group and dead-letter stream.
 *
 * Every command is O(1) or bounded: XLEN, XINFO GROUPS, XINFO CONSUMERS (one row per consumer),
 * XPENDING with IDLE and a COUNT limit, CLIENT LIST (one line per connection). A missing stream or
 * group is an empty queue, not an error: the claim-worker creates the group on start.
 */
import { consumerLagSeconds, errorMessage, type RedisClient, requireReady, type StreamKeys } from "@m10/shared";

export interface StreamGaugeOptions {
  keys: StreamKeys;
  /** A consumer counts as active when it interacted with the stream within this many ms. */
  activeWithinMs: number;
  /** Pending entries idle at least this long are due for XAUTOCLAIM (M10_CLAIM_IDLE_MS). */
  claimIdleMs: number;
  /** Most pending entries inspected for the reclaimable count. */
  pendingScanLimit: number;
  /** How long a pass waits for a (re)connecting client before calling Redis unavailable. */
  connectWaitMs: number;
}

export interface StreamGauges {
  /** XLEN of the evaluation stream (acknowledged entries not yet trimmed included). */
  streamLength: number;
  /** Delivered to the group and not acknowledged (XINFO GROUPS pending). */
  pending: number;
  /** Consumers registered in the group (XINFO GROUPS consumers), active or not. */
  consumersRegistered: number;
  /** Consumers active within activeWithinMs (see activeConsumerCount). */
  consumersActive: number;
  /** Connections blocked in XREADGROUP right now; null when CLIENT LIST is not allowed. */
  blockedReaders: number | null;
  /** Pending entries idle at least claimIdleMs, counted up to pendingScanLimit. */
  reclaimable: number;
  /** True when reclaimable stopped at pendingScanLimit (the real number may be higher). */
  reclaimableCapped: boolean;
  /** XLEN of the dead-letter stream. */
  deadLetterLength: number;
  /** The consumer group these gauges describe. */
  consumerGroup: string;
  /** Age of the oldest entry the group has not acknowledged, seconds (consumerLagSeconds). */
  lagSeconds: number;
}

export async function readStreamGauges(client: RedisClient, options: StreamGaugeOptions): Promise<StreamGauges> {
  await requireReady(client, options.connectWaitMs);
  const { stream, group, deadLetter } = options.keys;
  const [streamLength, deadLetterLength, groupInfo, consumers, reclaimable, blockedReaders] = await Promise.all([
    client.xlen(stream),
    client.xlen(deadLetter),
    readGroup(client, stream, group),
    readConsumers(client, stream, group),
    countReclaimable(client, options),
    countBlockedReaders(client),
  ]);
  const consumersActive = activeConsumerCount(consumers, options.activeWithinMs, blockedReaders);
  const lagSeconds = await consumerLagSeconds(client, options.keys, groupInfo?.lastDeliveredId ?? null);
  return {
    streamLength,
    pending: groupInfo?.pending ?? 0,
    consumersRegistered: groupInfo?.consumers ?? 0,
    consumersActive,
    blockedReaders,
    reclaimable,
    reclaimableCapped: reclaimable >= options.pendingScanLimit,
    deadLetterLength,
    consumerGroup: group,
    lagSeconds,
  };
}

interface ConsumerInfo {
  name: string;
  /**
   * Redis 7.2+: ms since the consumer's last attempted interaction (a blocked XREADGROUP that
   * returned nothing counts). Redis < 7.2: ms since it last read or claimed an entry.
   */
  idle: number;
  /** Redis 7.2+ only: ms since its last successful interaction; undefined on older servers. */
  inactive: number | undefined;
}

/**
 * Active consumers: those whose `idle` is within the window. On Redis < 7.2 `idle` only moves when
 * a consumer actually receives or claims an entry, so a healthy worker waiting on an empty stream
 * would look inactive after the window (and M10NoStreamConsumers would page on a quiet system);
 * there, connections blocked in XREADGROUP right now are live consumers as well, so the count is
 * at least that number. (Redis 7.0 does not even register a consumer whose first XREADGROUP
 * found nothing.)
 */
export function activeConsumerCount(consumers: readonly ConsumerInfo[], activeWithinMs: number, blockedReaders: number | null): number {
  const byIdle = consumers.filter((c) => c.idle <= activeWithinMs).length;
  const modernServer = consumers.length > 0 && consumers.every((c) => c.inactive !== undefined);
  if (modernServer || blockedReaders === null) return byIdle;
  return Math.max(byIdle, blockedReaders);
}

/** XINFO GROUPS / CONSUMERS rows are flat [field, value, field, value, ...] arrays. */
function fieldsOf(row: unknown): Map<string, unknown> {
  const fields = new Map<string, unknown>();
  if (!Array.isArray(row)) return fields;
  for (let i = 0; i + 1 < row.length; i += 2) fields.set(String(row[i]), row[i + 1]);
  return fields;
}

function numberField(fields: Map<string, unknown>, name: string): number | undefined {
  const value = fields.get(name);
  if (value === undefined || value === null) return undefined;
  const parsed = Number(value);
  return Number.isFinite(parsed) ? parsed : undefined;
}

/** "no such key" (stream absent) and NOGROUP (group absent) mean an empty queue. */
function isMissingStreamOrGroup(error: unknown): boolean {
  const message = errorMessage(error);
  return /no such key|NOGROUP/i.test(message);
}

async function orEmpty<T>(read: Promise<T>, empty: T): Promise<T> {
  try {
    return await read;
  } catch (error) {
    if (isMissingStreamOrGroup(error)) return empty;
    throw error;
  }
}

async function readGroup(client: RedisClient, stream: string, group: string): Promise<{ pending: number; consumers: number; lastDeliveredId: string | null } | undefined> {
  const rows = await orEmpty(client.xinfo("GROUPS", stream), [] as unknown);
  if (!Array.isArray(rows)) return undefined;
  for (const row of rows) {
    const fields = fieldsOf(row);
    if (String(fields.get("name")) !== group) continue;
    const lastDeliveredId = fields.get("last-delivered-id");
    return {
      pending: numberField(fields, "pending") ?? 0,
      consumers: numberField(fields, "consumers") ?? 0,
      lastDeliveredId: lastDeliveredId === undefined || lastDeliveredId === null ? null : String(lastDeliveredId),
    };
  }
  return undefined;
}

async function readConsumers(client: RedisClient, stream: string, group: string): Promise<ConsumerInfo[]> {
  const rows = await orEmpty(client.xinfo("CONSUMERS", stream, group), [] as unknown);
  if (!Array.isArray(rows)) return [];
  return rows.map((row) => {
    const fields = fieldsOf(row);
    return {
      name: String(fields.get("name")),
      idle: numberField(fields, "idle") ?? Number.POSITIVE_INFINITY,
      inactive: numberField(fields, "inactive"),
    };
  });
}

async function countReclaimable(client: RedisClient, options: StreamGaugeOptions): Promise<number> {
  const entries = await orEmpty(
    client.xpending(options.keys.stream, options.keys.group, "IDLE", options.claimIdleMs, "-", "+", options.pendingScanLimit),
    [] as unknown[],
  );
  return entries.length;
}

/**
 * Connections blocked in XREADGROUP on the collector's database (on every master of a Cluster).
 * null when CLIENT LIST is refused (ACLs, managed Redis): the caller then relies on XINFO alone.
 */
async function countBlockedReaders(client: RedisClient): Promise<number | null> {
  try {
    if ("nodes" in client) {
      const lists = await Promise.all(client.nodes("master").map((node) => node.client("LIST") as Promise<string>));
      return lists.reduce((sum, list) => sum + blockedReadersIn(list, 0), 0);
    }
    const list = (await client.client("LIST")) as string;
    return blockedReadersIn(list, client.options.db ?? 0);
  } catch (error) {
    // A refusal by the server (NOPERM, renamed command) is a ReplyError; anything else is the
    // connection failing and fails the Redis source like any other command.
    if (error instanceof Error && error.name === "ReplyError") return null;
    throw error;
  }
}

/** Lines of CLIENT LIST with cmd=xreadgroup, the blocked flag and the given db. */
export function blockedReadersIn(clientList: string, db: number): number {
  let count = 0;
  for (const line of clientList.split("\n")) {
    const fields = new Map(
      line
        .trim()
        .split(" ")
        .map((pair) => {
          const at = pair.indexOf("=");
          return [pair.slice(0, at), pair.slice(at + 1)] as const;
        }),
    );
    if (fields.get("cmd") === "xreadgroup" && (fields.get("flags") ?? "").includes("b") && Number(fields.get("db")) === db) count += 1;
  }
  return count;
}
