// The DB fallback queue side of the worker: claim_work (SKIP LOCKED) in batches, with or without
// Redis (an empty queue is waited on until a NOTIFY m10_work or the poll interval), and
// release_stalled_work on an interval for claims whose worker died (a claim that
// expired M10_MAX_RECLAIM_ATTEMPTS times is archived as a dead letter instead).
import { performance } from "node:perf_hooks";
import {
  backoffDelayMs,
  claimWork,
  type DependencyState,
  type Logger,
  type Pool,
  releaseStalledWork,
  type ServiceMetrics,
  sleep,
  type Wakeups,
  type WorkItem,
} from "@m10/shared";
import type { BatchProcessor } from "../batch-processor.js";
import type { QueueEntry } from "../queue-entry.js";
import type { Slots } from "../slots.js";
import type { LoopMode } from "./stream-source.js";

export interface DbQueueSettings {
  batchSize: number;
  pollIntervalMs: number;
  workStalledSeconds: number;
  releaseStalledIntervalMs: number;
  /** A claim that expired this many times is archived as a dead letter (M10_MAX_RECLAIM_ATTEMPTS). */
  maxReclaimAttempts: number;
}

export interface DbQueueSourceDeps {
  pool: Pool;
  consumer: string;
  settings: DbQueueSettings;
  slots: Slots;
  processor: BatchProcessor;
  metrics: ServiceMetrics<"claim-worker">;
  logger: Logger;
  dbState: DependencyState;
  /** Wake-ups of the empty-queue wait (migration 032's NOTIFY m10_work); the poll interval bounds it. */
  wakeups: Wakeups;
}

export interface DbQueueSource {
  /** Claims and evaluates work until `stop` fires ("once": until the queue has nothing claimable). */
  loop(stop: AbortSignal, hard: AbortSignal, mode: LoopMode): Promise<void>;
  releaseStalledLoop(stop: AbortSignal): Promise<void>;
  releaseStalledOnce(): Promise<number>;
}

function toEntry(item: WorkItem): QueueEntry {
  return { source: "db_queue", candidateId: item.candidateId, work: item, metadata: {}, deliveries: item.retryCount + 1 };
}

export function createDbQueueSource(deps: DbQueueSourceDeps): DbQueueSource {
  const { settings, logger } = deps;

  async function releaseStalledOnce(): Promise<number> {
    try {
      const released = await releaseStalledWork(deps.pool, settings.workStalledSeconds, settings.maxReclaimAttempts);
      deps.dbState.markUp();
      if (released > 0) logger.warn({ released, stalledSeconds: settings.workStalledSeconds }, "work_queue.stalled_released");
      return released;
    } catch (error) {
      deps.dbState.markDown(error);
      return 0;
    }
  }

  return {
    async loop(stop, hard, mode) {
      let failures = 0;
      // A batch in which nothing could be finished (candidates leased elsewhere, failures) gave
      // its rows back; claiming them again at once would spin, so wait a poll interval first.
      let lastBatchStuck = false;
      while (!stop.aborted) {
        if (lastBatchStuck) {
          if (mode === "once") break;
          lastBatchStuck = false;
          await sleep(settings.pollIntervalMs, stop);
          continue;
        }
        if (!(await deps.slots.acquire(stop))) break;
        let items: WorkItem[];
        try {
          items = await claimWork(deps.pool, deps.consumer, settings.batchSize);
          deps.dbState.markUp();
          failures = 0;
        } catch (error) {
          deps.slots.release();
          deps.dbState.markDown(error);
          if (mode === "once") break;
          await sleep(backoffDelayMs(failures++), stop);
          continue;
        }
        if (items.length === 0) {
          deps.slots.release();
          if (mode === "once") break;
          await deps.wakeups.wait(settings.pollIntervalMs, stop);
          continue;
        }
        const claimedAt = performance.now();
        deps.metrics.recoveryWorkerClaimedTotal.inc({ source: "db_queue" }, items.length);
        const entries = items.map(toEntry);
        deps.slots.launch(async () => {
          const report = await deps.processor.process("db_queue", entries, claimedAt, hard);
          if (report.evaluated + report.skipped === 0) lastBatchStuck = true;
        });
      }
    },
    async releaseStalledLoop(stop) {
      while (!stop.aborted) {
        await releaseStalledOnce();
        await sleep(settings.releaseStalledIntervalMs, stop);
      }
    },
    releaseStalledOnce,
  };
}
