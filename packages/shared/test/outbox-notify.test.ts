// Migration 032: what wakes the outbox processors. A sentinel NOTIFY sent after each step marks its
// end (notifications arrive in commit order), so "exactly these before the sentinel" is exact.
import pg from "pg";
import { waitUntil } from "@m10/devstack/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claimOutboxEvents, releaseOutboxClaims } from "../src/db/outbox.js";
import { publishOutbox } from "../src/outbox/publish.js";
import { useTestEnvironment } from "./support/environment.js";

const t = useTestEnvironment();

describe("outbox notifications (032)", () => {
  let listener: pg.Client;
  let received: string[] = [];

  beforeAll(async () => {
    listener = new pg.Client({ connectionString: t.db.url });
    await listener.connect();
    listener.on("notification", (message) => received.push(message.payload ?? ""));
    await listener.query("LISTEN m10_outbox");
  });
  afterAll(() => listener.end());

  /** The wake-ups `step` caused, once a sentinel sent after it has arrived. */
  const wakeupsOf = async (step: () => Promise<unknown>): Promise<number> => {
    received = [];
    await step();
    await t.pool.query("SELECT pg_notify('m10_outbox', 'sentinel')");
    await waitUntil("the sentinel arrived", () => received.includes("sentinel"), { intervalMs: 10 });
    return received.indexOf("sentinel");
  };

  it("wakes once per committed transaction however many events it published, and not for a rollback", async () => {
    const inTransaction = async (end: "COMMIT" | "ROLLBACK") => {
      const client = await t.pool.connect();
      try {
        await client.query("BEGIN");
        for (const id of ["1", "2", "3"]) await publishOutbox(client, { aggregateType: `notify-${end}`, aggregateId: id, eventType: "e", payload: {} });
        await client.query(end);
      } finally {
        client.release();
      }
    };
    expect(await wakeupsOf(() => inTransaction("COMMIT"))).toBe(1);
    expect(await wakeupsOf(() => inTransaction("ROLLBACK"))).toBe(0);
    expect(await wakeupsOf(() => t.pool.query("SELECT m10_recovery.publish_outbox('notify', g::text, 'e', '{}') FROM generate_series(1, 50) g"))).toBe(1);
  });

  it("does not wake for a claim, a claim given back, a retry scheduled later or a completion", async () => {
    await t.pool.query("UPDATE m10_recovery.outbox SET processed_at = now() WHERE processed_at IS NULL");
    expect(await wakeupsOf(() => publishOutbox(t.pool, { aggregateType: "notify-release", aggregateId: "1", eventType: "e", payload: {} }))).toBe(1);
    let claimed: number[] = [];
    expect(await wakeupsOf(async () => (claimed = (await claimOutboxEvents(t.pool, "p1", 10, 300)).map((e) => e.id)))).toBe(0);
    expect(claimed).toHaveLength(1);
    // A throttled processor gives events back; a wake-up would hand them straight back to it.
    expect(await wakeupsOf(() => releaseOutboxClaims(t.pool, "p1", claimed))).toBe(0);

    await claimOutboxEvents(t.pool, "p1", 10, 300);
    expect(await wakeupsOf(() => t.pool.query("SELECT m10_recovery.complete_outbox_event($1, 'p1', false, 'boom', 600)", [claimed[0]]))).toBe(0);
    expect(await wakeupsOf(() => t.pool.query("SELECT m10_recovery.complete_outbox_event($1, 'p1', true, NULL, NULL)", [claimed[0]]))).toBe(0);
  });
});
