import { describe, expect, it } from "vitest";
import { createMetrics, type ServiceMetrics } from "../src/observability/metrics.js";
import { countPublishedOutboxEvents, publishOutbox, publishOutboxMany, withOutboxTransaction } from "../src/outbox/publish.js";
import { useTestEnvironment } from "./support/environment.js";

const t = useTestEnvironment();

describe("publishing outbox events", () => {
  it("publishes many events in one statement and returns their ids in order", async () => {
    const ids = await publishOutboxMany(t.pool, [
      { aggregateType: "recovery_candidate", aggregateId: "1", eventType: "recovery.suggested", payload: { n: 1 } },
      { aggregateType: "recovery_candidate", aggregateId: "2", eventType: "recovery.suggested", payload: { n: 2 } },
    ]);
    expect(ids).toHaveLength(2);
    const rows = await t.pool.query("SELECT id, aggregate_id, payload FROM m10_recovery.outbox WHERE id = ANY($1) ORDER BY id", [ids]);
    expect(rows.rows.map((r) => [r.id, r.aggregate_id, r.payload])).toEqual([
      [ids[0], "1", { n: 1 }],
      [ids[1], "2", { n: 2 }],
    ]);
  });

  it("gives every event of a batch a new version and holds its aggregates' publish lock until commit, as publish_outbox does", async () => {
    const batch = await t.pool.connect();
    const other = await t.pool.connect();
    try {
      await batch.query("BEGIN");
      const ids = await publishOutboxMany(batch, [
        { aggregateType: "lock-test", aggregateId: "a", eventType: "first", payload: {} },
        { aggregateType: "lock-test", aggregateId: "b", eventType: "first", payload: {} },
        { aggregateType: "lock-test", aggregateId: "a", eventType: "second", payload: {} },
      ]);
      // publish_outbox of aggregate b in another session waits for the batch's commit.
      await other.query("SET lock_timeout = '200ms'");
      await expect(other.query("SELECT m10_recovery.publish_outbox('lock-test', 'b', 'later', '{}'::jsonb)")).rejects.toThrow(/lock timeout/);
      await batch.query("COMMIT");
      const later = (await other.query<{ id: string }>("SELECT m10_recovery.publish_outbox('lock-test', 'b', 'later', '{}'::jsonb) AS id")).rows[0]?.id;

      const rows = await t.pool.query("SELECT id, aggregate_id, event_type, version, retry_count FROM m10_recovery.outbox WHERE aggregate_type = 'lock-test' ORDER BY id");
      expect(rows.rows).toEqual([
        { id: ids[0], aggregate_id: "a", event_type: "first", version: ids[0], retry_count: 0 },
        { id: ids[1], aggregate_id: "b", event_type: "first", version: ids[1], retry_count: 0 },
        { id: ids[2], aggregate_id: "a", event_type: "second", version: ids[2], retry_count: 0 },
        { id: later, aggregate_id: "b", event_type: "later", version: later, retry_count: 0 },
      ]);
    } finally {
      await other.query("RESET lock_timeout");
      batch.release();
      other.release();
    }
  });

  it("commits or rolls back with the caller's transaction", async () => {
    const client = await t.pool.connect();
    try {
      await client.query("BEGIN");
      const id = await publishOutbox(client, { aggregateType: "recovery_candidate", aggregateId: "rolled", eventType: "e", payload: {} });
      await client.query("ROLLBACK");
      expect((await t.pool.query("SELECT 1 FROM m10_recovery.outbox WHERE id = $1", [id])).rowCount).toBe(0);
    } finally {
      client.release();
    }
  });
});

describe("counting published outbox events", () => {
  const published = async (metrics: ServiceMetrics<"m10ctl">, eventType: string) =>
    (await metrics.m10OutboxPublishedTotal.get()).values.find((v) => v.labels.event_type === eventType)?.value ?? 0;

  it("counts each event by aggregate and event type", async () => {
    const { metrics } = createMetrics("m10ctl", { defaultMetrics: false });
    countPublishedOutboxEvents(metrics, [
      { aggregateType: "recovery_candidate", aggregateId: "1", eventType: "recovery.approved", payload: {} },
      { aggregateType: "recovery_candidate", aggregateId: "2", eventType: "recovery.approved", payload: {} },
    ]);
    expect(await published(metrics, "recovery.approved")).toBe(2);
    expect((await metrics.m10OutboxPublishedTotal.get()).values[0]?.labels).toEqual({ aggregate_type: "recovery_candidate", event_type: "recovery.approved" });
  });

  it("withOutboxTransaction counts what it published once the transaction committed", async () => {
    const { metrics } = createMetrics("m10ctl", { defaultMetrics: false });
    const id = await withOutboxTransaction(t.pool, metrics, async (_client, publish) => {
      const eventId = await publish({ aggregateType: "recovery_candidate", aggregateId: "c1", eventType: "committed.event", payload: { a: 1 } });
      expect(await published(metrics, "committed.event")).toBe(0);
      return eventId;
    });
    expect(await published(metrics, "committed.event")).toBe(1);
    expect((await t.pool.query("SELECT payload FROM m10_recovery.outbox WHERE id = $1", [id])).rows).toEqual([{ payload: { a: 1 } }]);
  });

  it("withOutboxTransaction counts nothing when the transaction rolls back", async () => {
    const { metrics } = createMetrics("m10ctl", { defaultMetrics: false });
    let id = 0;
    await expect(
      withOutboxTransaction(t.pool, metrics, async (_client, publish) => {
        id = await publish({ aggregateType: "recovery_candidate", aggregateId: "r1", eventType: "rolled.event", payload: {} });
        throw new Error("state change failed");
      }),
    ).rejects.toThrow("state change failed");
    expect(await published(metrics, "rolled.event")).toBe(0);
    expect((await t.pool.query("SELECT 1 FROM m10_recovery.outbox WHERE id = $1", [id])).rowCount).toBe(0);
  });
});
