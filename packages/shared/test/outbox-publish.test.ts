import { describe, expect, it } from "vitest";
import { publishOutbox, publishOutboxMany } from "../src/outbox/index.js";
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
