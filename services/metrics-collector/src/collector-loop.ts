/**
 * The daemon: a collection pass every interval until the shutdown signal, never two at once.
 * Sources reconnect by themselves (pg pool, ioredis), so a failed pass is simply retried at the
 * next tick; source outages and recoveries are logged once each, not every 30 s.
 */
import { DependencyState, type Logger, sleep } from "@m10/shared";
import { collect, SOURCES, type Collection, type Sources } from "./collection.js";
import type { GaugeRecorder } from "./gauge-recorder.js";

export interface CollectorLoopOptions {
  sources: Sources;
  recorder: GaugeRecorder;
  intervalMs: number;
  signal: AbortSignal;
  logger: Logger;
  /** Called after each pass, e.g. to keep the last one for /health/detailed. */
  onCollection?: (collection: Collection) => void;
}

export async function runCollectorLoop(options: CollectorLoopOptions): Promise<void> {
  const { logger, signal } = options;
  const states = new Map(SOURCES.map((source) => [source, new DependencyState(source, logger, { component: "collector" })]));
  while (!signal.aborted) {
    const collection = await collect(options.sources);
    options.recorder.record(collection);
    options.onCollection?.(collection);
    for (const source of SOURCES) {
      const result = collection[source];
      if (result.ok) states.get(source)?.markUp();
      else states.get(source)?.markDown(result.error);
    }
    logger.debug(
      { duration_ms: Math.round(collection.durationSeconds * 1000), postgres: collection.postgres.ok, redis: collection.redis.ok },
      "collection.completed",
    );
    const wait = Math.max(0, options.intervalMs - collection.durationSeconds * 1000);
    await sleep(wait, signal);
  }
}
