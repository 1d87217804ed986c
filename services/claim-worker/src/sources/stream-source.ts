// The Redis stream side of the worker: XREADGROUP BLOCK on a dedicated connection, the reclaim
// scan (XPENDING + XCLAIM with backoff), and dead-lettering (ONE Lua script, then the archive).
// Every Redis error is retried with backoff, so an outage only pauses this side; a group lost
// in a Redis restart is recreated (NOGROUP) and consumption resumes without a restart.
import { performance } from "node:perf_hooks";
import {
  archiveMovedDeadLetter,
  backoffDelayMs,
  DEAD_LETTER_REASONS,
  type DependencyState,
  type Logger,
  moveToDeadLetter,
  type Pool,
  readGroup,
  reclaimStalled,
  type RedisClient,
  registerConsumer,
  type ServiceMetrics,
  sleep,
  type StreamKeys,
  type StreamMessage,
} from "@m10/shared";
import type { BatchProcessor } from "../batch-processor.js";
import type { QueueEntry } from "../queue-entry.js";
import type { Slots } from "../slots.js";

export interface StreamSettings {
  batchSize: number;
  blockMs: number;
  claimIdleMs: number;
  maxReclaimAttempts: number;
  reclaimMaxBackoffMs: number;
  maxReclaimPerLoop: number;
  reclaimIntervalMs: number;
}

export interface StreamSourceDeps {
  redis: RedisClient;
  /** Dedicated to XREADGROUP BLOCK. */
  blocking: RedisClient;
  pool: Pool;
  keys: StreamKeys;
  consumer: string;
  settings: StreamSettings;
  slots: Slots;
  processor: BatchProcessor;
  metrics: ServiceMetrics<"claim-worker">;
  logger: Logger;
  redisState: DependencyState;
}

export type LoopMode = "continuous" | "once";

export interface StreamSource {
  /** Reads new entries until `stop` fires ("once": until the stream has nothing new). */
  readLoop(stop: AbortSignal, hard: AbortSignal, mode: LoopMode): Promise<void>;
  /** A reclaim scan every reclaimIntervalMs until `stop` fires. */
  reclaimLoop(stop: AbortSignal, hard: AbortSignal): Promise<void>;
  /** One scan: dead-letter entries out of attempts, claim and evaluate the stalled ones. */
  reclaimOnce(hard: AbortSignal): Promise<void>;
}

function toEntry(message: StreamMessage): QueueEntry {
  return {
    source: "redis_stream",
    candidateId: message.candidateId as number,
    messageId: message.id,
    metadata: message.metadata,
    deliveries: message.deliveries ?? null,
  };
}

export function createStreamSource(deps: StreamSourceDeps): StreamSource {
  const { redis, keys, consumer, settings, metrics, logger } = deps;

  async function deadLetter(messageId: string, reason: string, minIdleMs: number): Promise<void> {
    const move = await moveToDeadLetter(redis, keys, { messageId, reason, consumer, minIdleMs });
    if (!move.moved) return;
    metrics.recoveryDeadLetterAddedTotal.inc({ reason });
    logger.warn(
      { messageId, deadLetterId: move.deadLetterId, reason, deliveries: move.deliveries, candidateId: move.originalFields.candidate_id },
      "stream.dead_lettered",
    );
    try {
      await archiveMovedDeadLetter(deps.pool, keys, move, consumer);
      metrics.m10ArchiveTotal.inc({ source: "dead_letter" });
    } catch (error) {
      // The dead letter is safe in the dead-letter stream; dl_reconcile archives what is missing.
      logger.error({ err: error, deadLetterId: move.deadLetterId }, "dead_letter.archive_failed");
    }
  }

  async function handle(messages: StreamMessage[], claimedAt: number, hard: AbortSignal): Promise<void> {
    const valid: QueueEntry[] = [];
    for (const message of messages) {
      if (message.candidateId !== null) {
        valid.push(toEntry(message));
        continue;
      }
      // No candidate id: no delivery can ever succeed, so it leaves the hot path at once.
      metrics.recoveryWorkerProcessedTotal.inc({ status: "failed", source: "redis_stream" });
      try {
        await deadLetter(message.id, DEAD_LETTER_REASONS.invalidMessage, 0);
      } catch (error) {
        logger.warn({ err: error, messageId: message.id }, "stream.dead_letter_failed");
      }
    }
    if (valid.length > 0) await deps.processor.process("redis_stream", valid, claimedAt, hard);
  }

  async function reclaimOnce(hard: AbortSignal): Promise<void> {
    let scan;
    try {
      scan = await reclaimStalled(redis, keys, consumer, {
        baseIdleMs: settings.claimIdleMs,
        maxBackoffMs: settings.reclaimMaxBackoffMs,
        maxDeliveries: settings.maxReclaimAttempts,
        count: settings.maxReclaimPerLoop,
      });
      deps.redisState.markUp();
    } catch (error) {
      deps.redisState.markDown(error);
      return;
    }
    for (const entry of scan.deadLetterDue) {
      try {
        // The idle guard makes the move a no-op if another consumer claimed the entry meanwhile.
        await deadLetter(entry.id, DEAD_LETTER_REASONS.maxReclaimAttempts, settings.claimIdleMs);
      } catch (error) {
        logger.warn({ err: error, messageId: entry.id }, "stream.dead_letter_failed");
      }
    }
    if (scan.claimed.length === 0) return;
    metrics.recoveryWorkerClaimedTotal.inc({ source: "redis_stream" }, scan.claimed.length);
    logger.info({ count: scan.claimed.length, deferred: scan.deferred, missed: scan.missed }, "stream.reclaimed");
    // Claimed entries are ours now: evaluate them even while stopping (only the deadline stops that).
    const claimedAt = performance.now();
    if (!(await deps.slots.acquire(hard))) return;
    const messages = scan.claimed;
    deps.slots.launch(() => handle(messages, claimedAt, hard));
  }

  return {
    async readLoop(stop, hard, mode) {
      let failures = 0;
      let registered = false;
      while (!stop.aborted) {
        if (!(await deps.slots.acquire(stop))) break;
        let messages: StreamMessage[];
        try {
          // (Again after an outage: a Redis that lost its data lost the group and the consumer too.)
          if (!registered) await registerConsumer(redis, keys, consumer);
          registered = true;
          messages = await readGroup(deps.blocking, keys, consumer, {
            count: settings.batchSize,
            blockMs: mode === "once" ? 0 : settings.blockMs,
          });
          deps.redisState.markUp();
          failures = 0;
        } catch (error) {
          deps.slots.release();
          deps.redisState.markDown(error);
          registered = false;
          if (mode === "once") break;
          await sleep(backoffDelayMs(failures++), stop);
          continue;
        }
        if (messages.length === 0) {
          deps.slots.release();
          if (mode === "once") break;
          continue;
        }
        const claimedAt = performance.now();
        metrics.recoveryWorkerClaimedTotal.inc({ source: "redis_stream" }, messages.length);
        deps.slots.launch(() => handle(messages, claimedAt, hard));
      }
    },
    async reclaimLoop(stop, hard) {
      while (!stop.aborted) {
        await reclaimOnce(hard);
        await sleep(settings.reclaimIntervalMs, stop);
      }
    },
    reclaimOnce,
  };
}
