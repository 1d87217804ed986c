import type { Logger } from "pino";
import type pg from "pg";
import { extendOutboxLeases } from "@m10/shared";

/**
 * Keeps the leases of a batch's events alive while they wait for a throttle or a slow receiver,
 * so another processor never takes over an event that is still being delivered. Every third of
 * the lease, the claims still held are re-stamped; an event whose lease is gone is reported lost.
 */
export interface LeaseKeeper {
  /** When the lease of `eventId` ends by our clock (ms since epoch); undefined once released or lost. */
  expiresAt(eventId: number): number | undefined;
  /** Extends one event's lease now; false when it is no longer held (taken over or completed elsewhere). */
  extendNow(eventId: number): Promise<boolean>;
  /** Stops tracking an event (completed, dead-lettered, released). */
  forget(eventId: number): void;
  /** Stops the timer and waits for a running extension. */
  stop(): Promise<void>;
}

export function startLeaseKeeper(pool: pg.Pool, processorId: string, eventIds: number[], leaseSeconds: number, claimedAt: number, logger: Logger): LeaseKeeper {
  const leaseMs = leaseSeconds * 1000;
  const expiry = new Map<number, number>(eventIds.map((id) => [id, claimedAt + leaseMs]));
  let running: Promise<void> | undefined;

  const extend = async (ids: number[]): Promise<Set<number>> => {
    const startedAt = Date.now();
    const held = new Set(await extendOutboxLeases(pool, processorId, ids));
    for (const id of ids) {
      if (!expiry.has(id)) continue;
      if (held.has(id)) expiry.set(id, startedAt + leaseMs);
      else {
        expiry.delete(id);
        logger.warn({ event_id: id, processor_id: processorId }, "outbox.lease_lost");
      }
    }
    return held;
  };

  const tick = () => {
    if (running || expiry.size === 0) return;
    running = extend([...expiry.keys()])
      .then(() => undefined)
      .catch((error: unknown) => logger.warn({ err: error, events: expiry.size }, "outbox.lease_extend_failed"))
      .finally(() => (running = undefined));
  };
  const timer = setInterval(tick, Math.max(250, Math.floor(leaseMs / 3)));
  timer.unref();

  return {
    expiresAt: (eventId) => expiry.get(eventId),
    async extendNow(eventId) {
      if (!expiry.has(eventId)) return false;
      return (await extend([eventId])).has(eventId);
    },
    forget: (eventId) => void expiry.delete(eventId),
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
