// The small async helpers every service shares: sleep, timeouts, retries, outage logging, option parsing.
import { Writable } from "node:stream";
import { InvalidArgumentError } from "commander";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { retryUntil, backoffDelayMs } from "../src/async/retry.js";
import { sleep } from "../src/async/sleep.js";
import { settlesWithin, TimeoutError, withTimeout } from "../src/async/timeout.js";
import { nonNegativeSeconds, port, positiveInt, positiveSeconds } from "../src/cli-options.js";
import { DependencyState } from "../src/observability/dependency-state.js";

/** A pino logger whose lines land in an array, to count what was logged. */
function capturingLogger(): { logger: pino.Logger; lines: () => { level: number; msg: string; [key: string]: unknown }[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const logger = pino({ level: "debug" }, stream);
  return { logger, lines: () => chunks.join("").trim().split("\n").filter(Boolean).map((line) => JSON.parse(line)) };
}

describe("sleep", () => {
  it("resolves true after the time, and false at once when its signal aborts", async () => {
    expect(await sleep(5)).toBe(true);
    const controller = new AbortController();
    const started = Date.now();
    const pending = sleep(60_000, controller.signal);
    controller.abort();
    expect(await pending).toBe(false);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await sleep(60_000, AbortSignal.abort())).toBe(false);
  });
});

describe("withTimeout and settlesWithin", () => {
  it("passes a value or an error through, and rejects with TimeoutError when the work does not settle", async () => {
    expect(await withTimeout(Promise.resolve(7), 1_000)).toBe(7);
    await expect(withTimeout(Promise.reject(new Error("boom")), 1_000)).rejects.toThrow("boom");
    const never = new Promise<never>(() => undefined);
    const error = await withTimeout(never, 10, "SELECT 1").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).message).toBe("SELECT 1: no answer within 10 ms");
  });

  it("settlesWithin says whether the work settled in time, whichever way it settled", async () => {
    expect(await settlesWithin(Promise.reject(new Error("failed fast")), 1_000)).toBe(true);
    expect(await settlesWithin(new Promise(() => undefined), 10)).toBe(false);
  });
});

describe("retryUntil", () => {
  it("retries with backoff until the work succeeds, warning once and saying how many tries it took", async () => {
    const { logger, lines } = capturingLogger();
    let calls = 0;
    const value = await retryUntil(
      async () => {
        calls += 1;
        if (calls < 4) throw new Error(`down ${calls}`);
        return "up";
      },
      { what: "nats connect", logger, signal: new AbortController().signal, baseMs: 1, capMs: 2 },
    );
    expect(value).toBe("up");
    expect(calls).toBe(4);
    const logged = lines();
    expect(logged.filter((line) => line.level === 40 && line.msg === "startup.step_failed")).toHaveLength(1);
    expect(logged.filter((line) => line.level === 20 && line.msg === "startup.step_failed")).toHaveLength(2);
    expect(logged.find((line) => line.msg === "startup.step_recovered")).toMatchObject({ step: "nats connect", attempts: 4 });
  });

  it("gives up with undefined when its signal aborts", async () => {
    const { logger } = capturingLogger();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    expect(await retryUntil(() => Promise.reject(new Error("never")), { what: "x", logger, signal: controller.signal, baseMs: 1, capMs: 5 })).toBeUndefined();
  });

  it("backs off by doubling from the base up to the cap", () => {
    expect([0, 1, 2, 3, 10, 100].map((failures) => backoffDelayMs(failures, 250, 5_000))).toEqual([250, 500, 1_000, 2_000, 5_000, 5_000]);
  });
});

describe("DependencyState", () => {
  it("logs an outage once and its recovery once, however many failures come in between", () => {
    const { logger, lines } = capturingLogger();
    const redis = new DependencyState("redis", logger, { component: "rate_limit" });
    for (let i = 0; i < 50; i++) redis.markDown(new Error(`ECONNREFUSED ${i}`));
    expect(redis.report()).toMatchObject({ up: false, error: "ECONNREFUSED 49" });
    for (let i = 0; i < 50; i++) redis.markUp();
    const logged = lines();
    expect(logged.map((line) => line.msg)).toEqual(["dependency.unavailable", "dependency.recovered"]);
    expect(logged[0]).toMatchObject({ dependency: "redis", component: "rate_limit", level: 40 });
    expect(logged[1]).toMatchObject({ dependency: "redis", level: 30 });
    expect(redis.isUp).toBe(true);
  });
});

describe("numeric option parsers", () => {
  it("accept what they name and refuse the rest with commander's InvalidArgumentError", () => {
    expect(positiveInt("3")).toBe(3);
    expect(positiveSeconds("0.5")).toBe(0.5);
    expect(nonNegativeSeconds("0")).toBe(0);
    expect(port("0")).toBe(0);
    for (const [parse, bad] of [[positiveInt, "0"], [positiveInt, "1.5"], [positiveSeconds, "0"], [nonNegativeSeconds, "-1"], [port, "65536"], [positiveInt, "x"]] as const) {
      expect(() => parse(bad)).toThrow(InvalidArgumentError);
    }
  });
});
