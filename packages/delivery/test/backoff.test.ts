import { backoffCeilingSeconds, nextRetryDelaySeconds, parseRetryAfter, retryDelaySeconds } from "../src/backoff.js";
import { throttleWindow } from "../src/throttle.js";
import { describe, expect, it } from "vitest";

const policy = { baseSeconds: 30, maxSeconds: 3600 };

describe("retry backoff", () => {
  it("doubles the ceiling with every failure from 30 s up to the 3600 s cap", () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8, 20].map((n) => backoffCeilingSeconds(n, policy))).toEqual([30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]);
  });

  it("draws each delay uniformly from [0, ceiling] (full jitter)", () => {
    for (let retryCount = 0; retryCount < 10; retryCount += 1) {
      const ceiling = backoffCeilingSeconds(retryCount, policy);
      const samples = Array.from({ length: 2000 }, () => retryDelaySeconds(retryCount, policy));
      expect(Math.min(...samples)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...samples)).toBeLessThanOrEqual(ceiling);
      // The mean of a uniform draw is half the ceiling; 2000 samples land well within 10%.
      const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
      expect(Math.abs(mean - ceiling / 2)).toBeLessThan(ceiling * 0.1);
    }
    expect(retryDelaySeconds(3, policy, () => 0)).toBe(0);
    expect(retryDelaySeconds(3, policy, () => 1)).toBe(240);
  });

  it("uses the receiver's Retry-After instead of the backoff, capped at the maximum", () => {
    expect(nextRetryDelaySeconds(0, policy, 7, () => 0)).toBe(7);
    expect(nextRetryDelaySeconds(4, policy, 7, () => 1)).toBe(7);
    expect(nextRetryDelaySeconds(0, policy, 86_400)).toBe(3600);
    expect(nextRetryDelaySeconds(2, policy, undefined, () => 0.5)).toBe(60);
  });

  it("parses Retry-After as delta-seconds or an HTTP-date", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(parseRetryAfter("7", now)).toBe(7);
    expect(parseRetryAfter(" 120 ", now)).toBe(120);
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:30 GMT", now)).toBe(30);
    expect(parseRetryAfter("Wed, 31 Dec 2025 23:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});

describe("throttle windows", () => {
  it("spreads each rate over the shortest whole-second window with a whole number of requests", () => {
    expect(throttleWindow(60)).toEqual({ points: 1, durationSeconds: 1 });
    expect(throttleWindow(100)).toEqual({ points: 5, durationSeconds: 3 });
    expect(throttleWindow(30)).toEqual({ points: 1, durationSeconds: 2 });
    expect(throttleWindow(120)).toEqual({ points: 2, durationSeconds: 1 });
    expect(throttleWindow(600)).toEqual({ points: 10, durationSeconds: 1 });
    expect(throttleWindow(7)).toEqual({ points: 7, durationSeconds: 60 });
  });
});
