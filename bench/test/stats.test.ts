import { describe, expect, it } from "vitest";
import { parsePgbenchOutput } from "../src/pgbench.js";
import { percentile } from "../src/stats.js";

describe("benchmark arithmetic", () => {
  it("takes nearest-rank percentiles", () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 99.9)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });

  it("reads pgbench's summary", () => {
    const output = `transaction type: upsert.sql
number of transactions actually processed: 123456
latency average = 1.234 ms
tps = 6480.123456 (without initial connection time)`;
    expect(parsePgbenchOutput(output)).toEqual({ tps: 6480.123456, latency_avg_ms: 1.234, transactions: 123456 });
    expect(() => parsePgbenchOutput("garbage")).toThrow(/unexpected pgbench output/);
  });
});
