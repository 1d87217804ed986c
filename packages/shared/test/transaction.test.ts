import { waitUntil } from "@m10/devstack/testing";
import { beforeAll, describe, expect, it } from "vitest";
import { TransactionCancelledError, withTransaction } from "../src/db/transaction.js";
import { useTestEnvironment } from "./support/environment.js";

const t = useTestEnvironment({ poolMax: 4 });

beforeAll(async () => {
  await t.pool.query("CREATE TABLE tx_probe (id int PRIMARY KEY, v int)");
  await t.pool.query("INSERT INTO tx_probe VALUES (1, 0)");
});

describe("withTransaction", () => {
  it("commits on success and rolls back on error", async () => {
    await withTransaction(t.pool, (client) => client.query("UPDATE tx_probe SET v = 1 WHERE id = 1"));
    await expect(
      withTransaction(t.pool, async (client) => {
        await client.query("UPDATE tx_probe SET v = 2 WHERE id = 1");
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect((await t.pool.query("SELECT v FROM tx_probe")).rows).toEqual([{ v: 1 }]);
  });

  it("an abort cancels a transaction stuck on a row lock, which rolls back", async () => {
    const holder = await t.pool.connect();
    await holder.query("BEGIN; SELECT * FROM tx_probe WHERE id = 1 FOR UPDATE");
    const controller = new AbortController();
    const stuck = withTransaction(t.pool, (client) => client.query("UPDATE tx_probe SET v = 3 WHERE id = 1"), { signal: controller.signal });
    await waitUntil(
      "the UPDATE waiting on the row lock",
      async () => (await t.pool.query("SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")).rowCount === 1,
      { intervalMs: 20 },
    );
    controller.abort(new Error("deadline"));
    await expect(stuck).rejects.toBeInstanceOf(TransactionCancelledError);
    await holder.query("ROLLBACK");
    holder.release();
    expect((await t.pool.query("SELECT v FROM tx_probe")).rows).toEqual([{ v: 1 }]);
  });
});
