// The outbox throttles' current windows as Redis holds them (rate-limiter-flexible's keys
// <prefix>throttle:<rpm>:<target>, value = requests used in the window, PTTL = time left), for the
// console's outbox page. Bounded: SCAN stops after `max` keys.
import type { RedisClient } from "./client.js";
import { type StreamKeys, throttlePrefix } from "./keys.js";

export interface ThrottleWindowState {
  target: string;
  rpm: number;
  used: number;
  msLeft: number;
}

const KEY = /^(\d+):(.+)$/;

export async function outboxThrottleWindows(redis: RedisClient, keys: Pick<StreamKeys, "prefix">, max = 200): Promise<ThrottleWindowState[]> {
  const prefix = throttlePrefix(keys);
  const found: string[] = [];
  let cursor = "0";
  do {
    const [next, batch] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 200);
    cursor = next;
    found.push(...batch);
  } while (cursor !== "0" && found.length < max);
  const windows: ThrottleWindowState[] = [];
  for (const key of found.slice(0, max)) {
    const match = KEY.exec(key.slice(prefix.length));
    if (!match?.[1] || !match[2]) continue;
    const [used, msLeft] = await Promise.all([redis.get(key), redis.pttl(key)]);
    windows.push({ target: match[2], rpm: Number(match[1]), used: Number(used ?? 0), msLeft: Math.max(0, msLeft) });
  }
  return windows.sort((a, b) => a.target.localeCompare(b.target));
}
