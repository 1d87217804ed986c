import { metricValue, waitUntil } from "@m10/devstack/testing";
import { describe, expect, it } from "vitest";
import { drain, insertEvents, outboxRows, testEngine, useOutboxEnvironment, webhookRouting } from "../src/testing.js";

describe("the per-target circuit breaker (M7: auto-disable on > N errors/min)", () => {
  const t = useOutboxEnvironment();

  it("disables a target answering 500 after more than N failures in a minute, keeps its events unattempted without a retry, then closes after a successful trial", async () => {
    t.sink.respond = () => ({ status: 500, body: "down" });
    await insertEvents(t.pool, 20, "recovery.suggested");
    const engine = testEngine({
      pool: t.pool,
      routing: webhookRouting(t.sink.url),
      concurrency: 1,
      settings: { backoff: { baseSeconds: 0, maxSeconds: 0 }, circuit: { errorsPerMinute: 5, openSeconds: 2 } },
    });

    const first = await engine.runOnce();

    // The sixth failure (> 5) opens the circuit; the other 14 events are given back unattempted.
    expect(first).toMatchObject({ claimed: 20, failed: 6, retried: 6, released: 14, delivered: 0 });
    expect(t.sink.requests).toHaveLength(6);
    const rows = await outboxRows(t.pool);
    const given = rows.filter((row) => row.retry_count === 0);
    expect(given).toHaveLength(14);
    for (const row of given) {
      expect(row.claimed_by).toBeNull();
      expect((row.next_retry_at?.getTime() ?? 0) - Date.now()).toBeGreaterThan(500); // due when the circuit lets a trial through
    }
    const exposition = await engine.metrics.registry.metrics();
    expect(metricValue(exposition, "m10_outbox_circuit_state", { target: "sink" })).toBe(1);
    expect(metricValue(exposition, "m10_outbox_circuit_opened_total", { target: "sink" })).toBe(1);
    expect(engine.circuitBreakers().sink).toMatchObject({ state: "open", failures_last_minute: 6, times_opened: 1 });
    expect(engine.circuitBreakers().sink?.retry_at).not.toBeNull();

    // Still open: the failed events (due at once, backoff 0) are claimed and given back again, unattempted.
    const whileOpen = await engine.runOnce();
    expect(whileOpen).toMatchObject({ claimed: 6, released: 6, failed: 0 });
    expect(t.sink.requests).toHaveLength(6);

    t.sink.respond = () => ({ status: 200, body: "ok" });
    await drain(t.pool, [engine], 30_000);
    await waitUntil("every event delivered once", () => t.sink.successesByKey().size === 20);
    expect([...t.sink.successesByKey().values()].every((n) => n === 1)).toBe(true);
    expect(metricValue(await engine.metrics.registry.metrics(), "m10_outbox_circuit_state", { target: "sink" })).toBe(0);
    expect(engine.circuitBreakers().sink).toMatchObject({ state: "closed", times_opened: 1, retry_at: null });
  }, 60_000);

  it("does not count permanent failures (the event's fault, not the target's)", async () => {
    t.sink.respond = () => ({ status: 400, body: "bad event" });
    await insertEvents(t.pool, 10, "recovery.suggested");
    const engine = testEngine({ pool: t.pool, routing: webhookRouting(t.sink.url), concurrency: 1, settings: { circuit: { errorsPerMinute: 3, openSeconds: 60 } } });

    const report = await engine.runOnce();

    expect(report).toMatchObject({ claimed: 10, deadLettered: 10, released: 0 });
    expect(t.sink.requests).toHaveLength(10);
    expect(metricValue(await engine.metrics.registry.metrics(), "m10_outbox_circuit_state", { target: "sink" })).toBe(0);
  }, 60_000);
});
