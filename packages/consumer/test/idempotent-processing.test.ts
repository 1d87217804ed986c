import { useOutboxEnvironment } from "@m10/delivery/testing";
import type { Pool } from "@m10/shared";
import { describe, expect, it } from "vitest";
import { ensureIdempotentProcessing } from "../src/index.js";

interface LedgerRow {
  event_id: string;
  event_type: string;
  consumer_group: string;
  status: string;
  attempts: number;
  result: unknown;
  error_message: string | null;
  processed_at: Date | null;
}

async function ledger(pool: Pool, eventId: string): Promise<LedgerRow[]> {
  const result = await pool.query<LedgerRow>("SELECT * FROM public.event_ledger WHERE event_id = $1 ORDER BY consumer_group", [eventId]);
  return result.rows;
}

/** The receiver's own table: what the handler writes in the ledger's transaction. */
async function createEffects(pool: Pool): Promise<void> {
  await pool.query("CREATE TABLE IF NOT EXISTS test_effects (event_id text NOT NULL, consumer_group text NOT NULL)");
}

async function effects(pool: Pool, eventId: string): Promise<number> {
  const result = await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM test_effects WHERE event_id = $1", [eventId]);
  return result.rows[0]?.n ?? 0;
}

describe("ensureIdempotentProcessing", () => {
  const t = useOutboxEnvironment();

  it("runs the work once for 8 concurrent deliveries of one event: one ledger row, one effect, 7 duplicates", async () => {
    await createEffects(t.pool);
    let runs = 0;
    const deliveries = Array.from({ length: 8 }, () =>
      ensureIdempotentProcessing({ pool: t.pool, eventId: "evt-concurrent", eventType: "recovery.suggested", consumerGroup: "receiver-a" }, async (client) => {
        runs += 1;
        await client.query("INSERT INTO test_effects VALUES ($1, $2)", ["evt-concurrent", "receiver-a"]);
        // Hold the transaction so the other deliveries really race it.
        await client.query("SELECT pg_sleep(0.2)");
        return { applied: true };
      }),
    );
    const outcomes = await Promise.all(deliveries);

    expect(runs).toBe(1);
    expect(outcomes.filter((o) => o.status === "processed")).toHaveLength(1);
    expect(outcomes.filter((o) => o.status === "duplicate")).toHaveLength(7);
    for (const o of outcomes) expect(o.result).toEqual({ applied: true });
    expect(await effects(t.pool, "evt-concurrent")).toBe(1);
    const rows = await ledger(t.pool, "evt-concurrent");
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ event_type: "recovery.suggested", consumer_group: "receiver-a", status: "processed", attempts: 1, result: { applied: true } });
    expect(rows[0]?.processed_at).toBeInstanceOf(Date);
  });

  it("keeps consumer groups apart: each group processes the event once, a repeat is a duplicate", async () => {
    const run = (group: string) => ensureIdempotentProcessing({ pool: t.pool, eventId: "evt-groups", eventType: "recovery.approved", consumerGroup: group }, async () => group);
    expect((await run("group-1")).status).toBe("processed");
    expect((await run("group-2")).status).toBe("processed");
    expect(await run("group-1")).toEqual({ status: "duplicate", result: "group-1", attempts: 1 });
    expect((await ledger(t.pool, "evt-groups")).map((r) => [r.consumer_group, r.status])).toEqual([
      ["group-1", "processed"],
      ["group-2", "processed"],
    ]);
  });

  it("records a failure (work thrown after its write): the write is rolled back, the retry runs the work again", async () => {
    await createEffects(t.pool);
    const event = { pool: t.pool, eventId: "evt-throw", eventType: "recovery.action_requested", consumerGroup: "receiver-a" };
    let runs = 0;
    const work = async (client: import("pg").PoolClient) => {
      runs += 1;
      await client.query("INSERT INTO test_effects VALUES ($1, $2)", ["evt-throw", "receiver-a"]);
      if (runs < 3) throw new Error(`downstream refused (run ${runs})`);
      return "done";
    };

    await expect(ensureIdempotentProcessing(event, work)).rejects.toThrow("downstream refused (run 1)");
    expect(await effects(t.pool, "evt-throw")).toBe(0);
    expect(await ledger(t.pool, "evt-throw")).toMatchObject([{ status: "failed", attempts: 1, error_message: "downstream refused (run 1)", processed_at: null }]);

    await expect(ensureIdempotentProcessing(event, work)).rejects.toThrow("downstream refused (run 2)");
    expect(await ledger(t.pool, "evt-throw")).toMatchObject([{ status: "failed", attempts: 2, error_message: "downstream refused (run 2)" }]);

    expect(await ensureIdempotentProcessing(event, work)).toEqual({ status: "processed", result: "done", attempts: 3 });
    expect(await ensureIdempotentProcessing(event, work)).toEqual({ status: "duplicate", result: "done", attempts: 3 });
    expect(runs).toBe(3);
    expect(await effects(t.pool, "evt-throw")).toBe(1);
    expect(await ledger(t.pool, "evt-throw")).toMatchObject([{ status: "processed", attempts: 3, error_message: null }]);
  });

  it("runs the work again after its connection is killed between the work and the commit", async () => {
    await createEffects(t.pool);
    const event = { pool: t.pool, eventId: "evt-killed", eventType: "recovery.suggested", consumerGroup: "receiver-a" };
    let runs = 0;
    await expect(
      ensureIdempotentProcessing(event, async (client) => {
        runs += 1;
        await client.query("INSERT INTO test_effects VALUES ($1, $2)", ["evt-killed", "receiver-a"]);
        const pid = (client as unknown as { processID: number }).processID;
        // Another session kills this one: the work is done, the commit never happens.
        await t.pool.query("SELECT pg_terminate_backend($1)", [pid]);
        return "never committed";
      }),
    ).rejects.toThrow();
    expect(await effects(t.pool, "evt-killed")).toBe(0);
    expect((await ledger(t.pool, "evt-killed")).filter((r) => r.status === "processed")).toEqual([]);

    const retry = await ensureIdempotentProcessing(event, async (client) => {
      runs += 1;
      await client.query("INSERT INTO test_effects VALUES ($1, $2)", ["evt-killed", "receiver-a"]);
      return "committed";
    });
    expect(retry.status).toBe("processed");
    expect(runs).toBe(2);
    expect(await effects(t.pool, "evt-killed")).toBe(1);
    expect(await ledger(t.pool, "evt-killed")).toMatchObject([{ status: "processed", result: "committed" }]);
  });

  it("cleanup_event_ledger() removes entries older than 30 days and returns the count", async () => {
    await ensureIdempotentProcessing({ pool: t.pool, eventId: "evt-old", eventType: "recovery.suggested", consumerGroup: "receiver-a" }, async () => 1);
    await ensureIdempotentProcessing({ pool: t.pool, eventId: "evt-recent", eventType: "recovery.suggested", consumerGroup: "receiver-a" }, async () => 2);
    await t.pool.query("UPDATE public.event_ledger SET created_at = now() - interval '31 days' WHERE event_id = 'evt-old'");
    await t.pool.query("UPDATE public.event_ledger SET created_at = now() - interval '29 days' WHERE event_id = 'evt-recent'");

    const cleaned = await t.pool.query<{ n: number }>("SELECT cleanup_event_ledger() AS n");
    expect(cleaned.rows[0]?.n).toBe(1);
    expect(await ledger(t.pool, "evt-old")).toEqual([]);
    expect(await ledger(t.pool, "evt-recent")).toHaveLength(1);
  });
});
