/**
 * One collection pass: every source read independently, so Redis being down still updates the
 * database gauges and the other way round. A pass never throws; a failed source is recorded with
 * its error.
 */
import type { MetricsCollectorConfig, Pool, RedisClient, StreamKeys } from "@m10/shared";
import { readDatabaseGauges, type DatabaseGauges } from "./postgres-source.js";
import { readStreamGauges, type StreamGauges } from "./redis-source.js";

export const SOURCES = ["postgres", "redis"] as const;
export type SourceName = (typeof SOURCES)[number];

export type SourceResult<T> = { ok: true; value: T } | { ok: false; error: Error };

export interface Collection {
  startedAt: Date;
  finishedAt: Date;
  durationSeconds: number;
  postgres: SourceResult<DatabaseGauges>;
  redis: SourceResult<StreamGauges>;
}

export interface Sources {
  postgres: () => Promise<DatabaseGauges>;
  redis: () => Promise<StreamGauges>;
}

/** The two sources of a collector process, read with the configured windows and limits. */
export function collectorSources(config: MetricsCollectorConfig, pool: Pool, redis: RedisClient, keys: StreamKeys): Sources {
  return {
    postgres: () => readDatabaseGauges(pool),
    redis: () =>
      readStreamGauges(redis, {
        keys,
        activeWithinMs: config.M10_METRICS_CONSUMER_ACTIVE_SECONDS * 1000,
        claimIdleMs: config.M10_CLAIM_IDLE_MS,
        pendingScanLimit: config.M10_METRICS_PENDING_SCAN_LIMIT,
        connectWaitMs: 2_000,
      }),
  };
}

async function settle<T>(read: () => Promise<T>): Promise<SourceResult<T>> {
  try {
    return { ok: true, value: await read() };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error : new Error(String(error)) };
  }
}

export async function collect(sources: Sources): Promise<Collection> {
  const startedAt = new Date();
  const started = performance.now();
  const [postgres, redis] = await Promise.all([settle(sources.postgres), settle(sources.redis)]);
  return {
    startedAt,
    finishedAt: new Date(),
    durationSeconds: (performance.now() - started) / 1000,
    postgres,
    redis,
  };
}

export function failedSources(collection: Collection): SourceName[] {
  return SOURCES.filter((source) => !collection[source].ok);
}
