import { describe, expect, it } from "vitest";
import { parsePgbenchOutput } from "../src/pgbench.js";
import { parseRedisBenchmarkCsv } from "../src/redis-benchmark.js";
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

  it("reads redis-benchmark's CSV", () => {
    const output = `"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
"XADD bench:xadd * f v","36429.87","0.552","0.128","0.487","0.911","2.751","4.559"
`;
    expect(parseRedisBenchmarkCsv(output)).toEqual({
      command: "XADD bench:xadd * f v",
      requests_per_second: 36429.87,
      latency_ms: { p50: 0.487, p99: 2.751, max: 4.559 },
    });
    expect(() => parseRedisBenchmarkCsv("ERR unknown command")).toThrow(/unexpected redis-benchmark output/);
  });
});
