import { waitUntil } from "@m10/devstack/testing";
import { describe, expect, it } from "vitest";
import { drain, insertEvents, outboxRows, useOutboxEnvironment, webhookRouting } from "@m10/delivery/testing";
import { startProcessor, testProcessor } from "./support/processor.js";

describe("processor crashes and leases", () => {
  const t = useOutboxEnvironment();

  it("takes over the leases of a processor killed with SIGKILL after they expire, losing no event", async () => {
    // The receiver holds the first processor's requests open, so it dies holding leases.
    let hanging = true;
    t.sink.respond = () => (hanging ? { status: 200, hang: true } : { status: 200 });
    const ids = await insertEvents(t.pool, 20, "recovery.suggested");
    const victim = await startProcessor(t.db.url, {
      OUTBOX_ROUTES_JSON: JSON.stringify(webhookRouting(t.sink.url)),
      M10_OUTBOX_LEASE_SECONDS: "2",
      OUTBOX_BATCH_SIZE: "20",
      OUTBOX_CONCURRENCY: "20",
      OUTBOX_POLL_INTERVAL: "0.2",
    });
    try {
      await waitUntil("20 requests in flight", () => t.sink.requests.length === 20);
      // Hold the leases past their 2 s: the live processor extends them. A fixed delay on purpose:
      // the time passing is what the test is about.
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      const held = await outboxRows(t.pool);
      expect(new Set(held.map((r) => r.claimed_by)).size).toBe(1);
      expect(held.every((r) => r.claimed_by !== null && r.processed_at === null)).toBe(true);
      expect(Date.now() - Math.min(...held.map((r) => r.claimed_at?.getTime() ?? 0))).toBeLessThan(2_000);
    } finally {
      expect(await victim.stop("SIGKILL")).toBe("SIGKILL");
    }
    const killedAt = Date.now();
    hanging = false;

    const heir = testProcessor({ pool: t.pool, routing: webhookRouting(t.sink.url), settings: { leaseSeconds: 2 } });
    expect((await heir.runOnce()).claimed).toBe(0); // not before the leases expire
    await drain(t.pool, [heir], 15_000);

    expect(Date.now() - killedAt).toBeGreaterThanOrEqual(1_000);
    const rows = await outboxRows(t.pool);
    expect(rows.map((r) => r.id)).toEqual(ids);
    expect(rows.every((r) => r.processed_by === heir.processorId && r.retry_count === 0)).toBe(true);
    const successes = t.sink.successesByKey();
    expect(successes.size).toBe(20);
    expect([...successes.values()].every((n) => n === 1)).toBe(true);
  });

  it("extends the lease of a slow delivery so a second processor never takes the event", async () => {
    t.sink.respond = () => ({ status: 200, delayMs: 3_000 });
    await insertEvents(t.pool, 5, "recovery.suggested");
    const settings = { leaseSeconds: 1 };
    const slow = testProcessor({ pool: t.pool, routing: webhookRouting(t.sink.url), settings });
    const eager = testProcessor({ pool: t.pool, routing: webhookRouting(t.sink.url), settings });

    const running = slow.runOnce();
    let eagerClaims = 0;
    // The second processor keeps trying to claim until all five slow deliveries have been answered.
    await waitUntil(
      "the five slow deliveries answered",
      async () => {
        if (t.sink.requests.length >= 5 && t.sink.requests.every((r) => r.status !== undefined)) return true;
        eagerClaims += (await eager.runOnce()).claimed;
        return false;
      },
      { intervalMs: 100 },
    );
    const report = await running;

    expect(eagerClaims).toBe(0);
    expect(report).toMatchObject({ claimed: 5, delivered: 5, leaseLost: 0 });
    expect(t.sink.requests).toHaveLength(5);
  });

  it("finishes started deliveries and releases unstarted claims when asked to stop", async () => {
    t.sink.respond = () => ({ status: 200, delayMs: 500 });
    await insertEvents(t.pool, 10, "recovery.suggested");
    const processor = testProcessor({ pool: t.pool, routing: webhookRouting(t.sink.url), batchSize: 10, concurrency: 2 });
    const stop = new AbortController();

    const running = processor.runOnce(stop.signal);
    await waitUntil("two deliveries started", () => t.sink.requests.length === 2);
    stop.abort();
    const report = await running;

    expect(report).toMatchObject({ claimed: 10, delivered: 2, released: 8 });
    const rows = await outboxRows(t.pool);
    expect(rows.filter((r) => r.processed_at !== null)).toHaveLength(2);
    expect(rows.every((r) => r.claimed_by === null && r.retry_count === 0)).toBe(true);
  });

  it("releases claimed but unstarted events at once on SIGTERM, while deliveries outlast the shutdown deadline", async () => {
    // The receiver never answers: the two started deliveries run into the 30 s webhook timeout,
    // past the 2 s shutdown deadline, so the process ends by the deadline's exit 1.
    t.sink.respond = () => ({ status: 200, hang: true });
    const ids = await insertEvents(t.pool, 10, "recovery.suggested");
    const service = await startProcessor(t.db.url, {
      OUTBOX_ROUTES_JSON: JSON.stringify(webhookRouting(t.sink.url, { timeout_seconds: 30 })),
      OUTBOX_BATCH_SIZE: "10",
      OUTBOX_CONCURRENCY: "2",
      // One lane: two lanes starting together could split the ten events and start four.
      OUTBOX_MAX_IN_FLIGHT: "10",
      M10_SHUTDOWN_TIMEOUT_MS: "2000",
    });
    await waitUntil("two deliveries started", () => t.sink.requests.length === 2);
    expect(await service.stop("SIGTERM")).toBe(1);

    const rows = await outboxRows(t.pool);
    const started = new Set(t.sink.requests.map((r) => Number(r.headers["x-outbox-event-id"])));
    expect(rows.map((r) => r.id)).toEqual(ids);
    const unstarted = rows.filter((r) => r.claimed_by === null && r.processed_at === null);
    expect(unstarted).toHaveLength(8);
    expect(unstarted.some((r) => started.has(r.id))).toBe(false);
    // Claimable at once by another processor, not after the 300 s lease.
    const heir = await t.pool.query<{ id: number }>("SELECT id FROM m10_recovery.claim_outbox_events('heir', 10, 300)");
    expect(heir.rows.map((r) => r.id).sort((a, b) => a - b)).toEqual(unstarted.map((r) => r.id));
  });
});
