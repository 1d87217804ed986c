// The RBAC audit trail off the request path: decisions are queued in a bounded buffer and written
// to system.rbac_audit in batches by one flush at a time, so a flood of denied requests costs at
// most one pooled connection and never delays an answer. A full buffer drops the record and
// counts it (m10_rbac_audit_dropped_total{cause="buffer_full"}), as does a failed batch write.
import { insertRbacAuditEntries, type Logger, type Queryable, type RbacAuditEntry, type ServiceMetrics } from "@m10/shared";

export interface AuditBufferOptions {
  db: Queryable;
  logger: Logger;
  metrics: Pick<ServiceMetrics<"ingest">, "m10RbacAuditDroppedTotal">;
  /** Most records waiting at once. */
  maxEntries: number;
  /** How often the buffer is written. */
  flushIntervalMs: number;
  /** Most records per INSERT. */
  batchSize: number;
}

export class AuditBuffer {
  private entries: RbacAuditEntry[] = [];
  private flushing: Promise<void> | undefined;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly options: AuditBufferOptions) {
    this.timer = setInterval(() => void this.flush(), options.flushIntervalMs);
    this.timer.unref();
  }

  /** Queues a record; never waits. */
  record(entry: RbacAuditEntry): void {
    if (this.entries.length >= this.options.maxEntries) {
      this.options.metrics.m10RbacAuditDroppedTotal.inc({ cause: "buffer_full" });
      return;
    }
    this.entries.push(entry);
  }

  /** Writes what is queued, one batch at a time; a flush already running is joined, not doubled. */
  flush(): Promise<void> {
    this.flushing ??= this.drain().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  /** Stops the timer and writes what is left. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  private async drain(): Promise<void> {
    while (this.entries.length > 0) {
      const batch = this.entries.splice(0, this.options.batchSize);
      try {
        await insertRbacAuditEntries(this.options.db, batch);
      } catch (error) {
        // The decisions stand either way; the lost records are counted and logged, not hidden.
        this.options.metrics.m10RbacAuditDroppedTotal.inc({ cause: "write_failed" }, batch.length);
        this.options.logger.warn({ err: error, records: batch.length }, "rbac.audit_write_failed");
        return;
      }
    }
  }
}
