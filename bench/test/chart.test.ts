import { describe, expect, it } from "vitest";
import { latencySeries, renderChart, throughputRows } from "../src/chart.js";

const ladder = (scale: number) => [50, 99, 100].map((p) => ({ p, ms: p * scale }));

const documents = {
  ingest: { pgbench_upsert_baseline: { tps: 4000 }, single_ingest: { requests_per_second: 2500 }, batch_ingest: { items_per_second: 40_000 } },
  worker: { one_worker: { evaluations_per_second: 3100 } },
  pipeline: {
    baselines: { pgbench_upsert: { tps: 3900 }, redis_benchmark_xadd: { requests_per_second: 30_000 } },
    closed_loop: { ingest_requests_per_second: 1200, deliveries_per_second: 1100, latency_ms_percentiles: ladder(2) },
    fixed_rate: { at_100_rps: { latency_ms_percentiles: ladder(0.2) } },
  },
};

describe("the make bench chart", () => {
  it("takes each benchmark's figure with its target and baseline, skipping what a run lacks", () => {
    const rows = throughputRows(documents);
    expect(rows.map((row) => row.label)).toEqual([
      "single ingest, 32 connections",
      "batch ingest (500 items/request)",
      "claim worker, 1 process",
      "pipeline ingest, closed loop",
      "pipeline deliveries, closed loop",
      "redis-benchmark XADD (baseline)",
    ]);
    expect(rows[0]).toMatchObject({ value: 2500, target: 2000, baseline: { label: "pgbench upsert", value: 4000 } });
    expect(rows[1]).toMatchObject({ value: 40_000, target: 50_000 });
  });

  it("draws met targets green, missed ones red, and one latency line per pipeline phase", () => {
    const svg = renderChart(documents, "load <3> & more");
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain("2,500 req/s (target 2,000: met), pgbench upsert 4,000");
    expect(svg).toContain("40,000 items/s (target 50,000: missed)");
    expect(svg).toContain("load &lt;3&gt; &amp; more");
    expect(svg.match(/<polyline /g)).toHaveLength(2);
    expect(latencySeries(documents.pipeline).map((s) => s.label)).toEqual(["closed loop, 32 connections", "100 req/s"]);
    expect(svg).toContain("closed loop, 32 connections: p50 100 ms, max 200 ms");
  });

  it("draws no latency panel without a pipeline result", () => {
    const svg = renderChart({ worker: documents.worker }, "x");
    expect(svg).not.toContain("<polyline");
    expect(svg).toContain("3,100 evaluations/s (target 3,000: met)");
  });
});
