import { metricValue, waitUntil } from "@m10/devstack/testing";
import { describe, expect, it } from "vitest";
import { pino } from "pino";
import { createCircuitBreakers, type CircuitState } from "../src/circuit-breaker.js";
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
      settings: { backoff: { baseSeconds: 0, maxSeconds: 0 }, circuit: { errorsPerMinute: 5, openSeconds: 2, minFailureRatio: 0.5 } },
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
    const engine = testEngine({ pool: t.pool, routing: webhookRouting(t.sink.url), concurrency: 1, settings: { circuit: { errorsPerMinute: 3, openSeconds: 60, minFailureRatio: 0.5 } } });

    const report = await engine.runOnce();

    expect(report).toMatchObject({ claimed: 10, deadLettered: 10, released: 0 });
    expect(t.sink.requests).toHaveLength(10);
    expect(metricValue(await engine.metrics.registry.metrics(), "m10_outbox_circuit_state", { target: "sink" })).toBe(0);
  }, 60_000);
});

describe("when a circuit opens: failures over the minute's count and share of attempts", () => {
  /** A breaker on a clock the test moves, with the states it reported. */
  function breakerAt(settings: { errorsPerMinute: number; minFailureRatio: number }) {
    let clock = 1_000_000;
    const states: CircuitState[] = [];
    const breakers = createCircuitBreakers({ ...settings, openSeconds: 60 }, { stateChanged: (_target, state) => states.push(state) }, pino({ level: "silent" }), () => clock);
    /** `attempts` attempts spread over `seconds` seconds, every `failEvery`-th one failed. */
    const attempt = (attempts: number, seconds: number, failEvery: number): void => {
      for (let i = 1; i <= attempts; i++) {
        clock += (seconds * 1000) / attempts;
        if (breakers.admit("sink").allowed) breakers.record("sink", i % failEvery === 0);
      }
    };
    return { breakers, states, attempt };
  }

  it("keeps a busy, healthy target enabled: 60 timeouts among 3,000 attempts in a minute (2 %)", () => {
    const { breakers, attempt } = breakerAt({ errorsPerMinute: 50, minFailureRatio: 0.5 });
    attempt(3_000, 60, 50);
    expect(breakers.snapshot().sink).toMatchObject({ state: "closed", failures_last_minute: 60, times_opened: 0 });
    expect(breakers.snapshot().sink?.attempts_last_minute).toBeGreaterThan(2_900);
  });

  it("opens on the 51st failure in a minute when most attempts fail", () => {
    const { breakers, states, attempt } = breakerAt({ errorsPerMinute: 50, minFailureRatio: 0.5 });
    attempt(100, 30, 1);
    expect(breakers.snapshot().sink).toMatchObject({ state: "open", failures_last_minute: 51, attempts_last_minute: 51, times_opened: 1 });
    expect(states).toEqual(["closed", "open"]);
  });

  it("with a ratio of 0 follows the runbook's words: more than 50 failures a minute, however many succeeded", () => {
    const { breakers, attempt } = breakerAt({ errorsPerMinute: 50, minFailureRatio: 0 });
    attempt(3_000, 60, 50);
    expect(breakers.snapshot().sink).toMatchObject({ state: "open", failures_last_minute: 51, times_opened: 1 });
  });

  it("forgets failures older than a minute", () => {
    const { breakers, attempt } = breakerAt({ errorsPerMinute: 50, minFailureRatio: 0.5 });
    attempt(40, 10, 1);
    attempt(10, 70, 1_000_000);
    attempt(40, 10, 1);
    expect(breakers.snapshot().sink).toMatchObject({ state: "closed", failures_last_minute: 40, times_opened: 0 });
  });
});
