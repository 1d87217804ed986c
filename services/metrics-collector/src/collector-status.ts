/**
 * /ready and /health/detailed of the collector, from the last collection pass:
 * not ready until the first pass has finished; "degraded" while a source cannot be read (the
 * collector still serves what it has, and m10_dependency_up says which source is missing).
 */
import type { ReadyReport, StreamKeys } from "@m10/shared";
import { failedSources, type Collection } from "./collection.js";
import { collectionReport } from "./report.js";

export interface CollectorStatus {
  update(collection: Collection): void;
  ready(): Promise<ReadyReport>;
  detailed(): Promise<Record<string, unknown>>;
}

export function createCollectorStatus(keys: StreamKeys, intervalSeconds: number): CollectorStatus {
  let last: Collection | undefined;
  return {
    update(collection) {
      last = collection;
    },
    async ready() {
      if (!last) return { status: "down", checks: { first_collection: "pending" } };
      const failed = failedSources(last);
      return {
        status: failed.length === 0 ? "ok" : "degraded",
        checks: {
          postgres: last.postgres.ok ? "ok" : "down",
          redis: last.redis.ok ? "ok" : "down",
          last_collection_at: last.finishedAt.toISOString(),
        },
      };
    },
    async detailed() {
      return {
        interval_seconds: intervalSeconds,
        last_collection: last ? collectionReport(last, keys) : null,
      };
    },
  };
}
