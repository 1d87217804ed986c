import { describe, expect, it } from "vitest";
import { backlogPeak, secondsUntilBacklog } from "../src/monitor.js";

const samples = [
  { at: 1_000, unevaluated: 10, outboxPending: 5 },
  { at: 3_000, unevaluated: 400, outboxPending: 100 },
  { at: 5_000, unevaluated: 50, outboxPending: 40 },
  { at: 7_000, unevaluated: 5, outboxPending: 0 },
];

describe("the backlog samples", () => {
  it("peak within a window counts candidates to evaluate and events to deliver together", () => {
    expect(backlogPeak(samples, 2_000, 8_000)).toBe(500);
    expect(backlogPeak(samples, 4_000, 8_000)).toBe(90);
  });

  it("recovery is the first sample after the repair back at or below the level, or null", () => {
    expect(secondsUntilBacklog(samples, 2_000, 100)).toBe(3);
    expect(secondsUntilBacklog(samples, 2_000, 10)).toBe(5);
    expect(secondsUntilBacklog(samples, 2_000, 1)).toBeNull();
  });
});
