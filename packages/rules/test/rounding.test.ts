// Expected values are CPython 3.11's round(x, 4).
import { describe, expect, it } from "vitest";
import { roundHalfEven } from "../src/rounding.js";

describe("roundHalfEven", () => {
  it.each([
    [0.03125, 0.0312],
    [0.09375, 0.0938],
    [0.15625, 0.1562],
    [0.96875, 0.9688],
    [0.00015, 0.0001],
    [0.12345, 0.1235],
    [0.77500000001, 0.775],
    [0.8000000000000002, 0.8],
    [0.8250000000000001, 0.825],
    [0.97499999, 0.975],
    [2 / 3, 0.6667],
    [1.2, 1.2],
    [0, 0],
    [-0.03125, -0.0312],
  ])("rounds %d to %d like Python's round(x, 4)", (value, expected) => {
    expect(roundHalfEven(value, 4)).toBe(expected);
  });

  it("rejects a decimals argument outside 1..20", () => {
    expect(() => roundHalfEven(1.5, 0)).toThrow(RangeError);
  });
});
