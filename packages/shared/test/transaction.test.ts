import { createTestDatabase, type TestDatabase } from "@m10/devstack/testing";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TransactionCancelledError, withTransaction } from "../src/db/transaction.js";

let db: TestDatabase;
let pool: pg.Pool;

beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, max: 4 });
  await pool.query("CREATE TABLE tx_probe (id int PRIMARY KEY, v int)");
  await pool.query("INSERT INTO tx_probe VALUES (1, 0)");
});

afterAll(async () => {
  await pool.end();
  await db.drop();
});

describe("withTransaction", () => {
  it("commits on success and rolls back on error", async () => {
    await withTransaction(pool, (client) => client.query("UPDATE tx_probe SET v = 1 WHERE id = 1"));
    await expect(
      withTransaction(pool, async (client) => {
        await client.query("UPDATE tx_probe SET v = 2 WHERE id = 1");
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect((await pool.query("SELECT v FROM tx_probe")).rows).toEqual([{ v: 1 }]);
  });

  it("an abort cancels a transaction stuck on a row lock, which rolls back", async () => {
    const holder = await pool.connect();
    await holder.query("BEGIN; SELECT * FROM tx_probe WHERE id = 1 FOR UPDATE");
    const controller = new AbortController();
    const stuck = withTransaction(pool, (client) => client.query("UPDATE tx_probe SET v = 3 WHERE id = 1"), { signal: controller.signal });
    setTimeout(() => controller.abort(new Error("deadline")), 200);
    await expect(stuck).rejects.toBeInstanceOf(TransactionCancelledError);
    await holder.query("ROLLBACK");
    holder.release();
    expect((await pool.query("SELECT v FROM tx_probe")).rows).toEqual([{ v: 1 }]);
  });
});
