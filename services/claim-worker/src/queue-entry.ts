// One unit of queued work, whichever queue it came from.
import type { WorkItem } from "@m10/shared";

export type QueueSource = "redis_stream" | "db_queue";

export interface QueueEntry {
  source: QueueSource;
  candidateId: number;
  /** Stream entry id (redis_stream). */
  messageId?: string;
  /** The claimed work_queue row (db_queue). */
  work?: WorkItem;
  /** The stream entry's metadata JSON ({} for db_queue). */
  metadata: Record<string, unknown>;
  /** Delivery count when known (reclaimed stream entries). */
  deliveries: number | null;
}
