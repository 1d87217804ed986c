import type pg from "pg";
import { completeDeliveredOutboxEvents } from "@m10/shared";

/**
 * Groups the success completions of concurrent deliveries into one UPDATE (at most `maxBatch`
 * ids, waiting at most `maxDelayMs` for company): one round trip instead of one per event, with
 * complete_outbox_event's holder check.
 */
export interface CompletionBatcher {
  /** Resolves true when the event was marked processed, false when this processor no longer held it. */
  complete(eventId: number): Promise<boolean>;
}

interface Waiting {
  id: number;
  resolve: (held: boolean) => void;
  reject: (error: unknown) => void;
}

export function createCompletionBatcher(pool: pg.Pool, processorId: string, maxBatch = 200, maxDelayMs = 2): CompletionBatcher {
  let waiting: Waiting[] = [];
  let timer: NodeJS.Timeout | undefined;

  const flush = (): void => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const batch = waiting;
    waiting = [];
    if (batch.length === 0) return;
    completeDeliveredOutboxEvents(
      pool,
      processorId,
      batch.map((w) => w.id),
    ).then(
      (ids) => {
        const completed = new Set(ids);
        for (const w of batch) w.resolve(completed.has(w.id));
      },
      (error: unknown) => {
        for (const w of batch) w.reject(error);
      },
    );
  };

  return {
    complete(eventId) {
      return new Promise<boolean>((resolve, reject) => {
        waiting.push({ id: eventId, resolve, reject });
        if (waiting.length >= maxBatch) flush();
        else timer ??= setTimeout(flush, maxDelayMs);
      });
    },
  };
}
