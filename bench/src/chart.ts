// The picture of a `make bench` run, drawn as plain SVG from the benchmarks' JSON documents:
// throughput of each benchmark against its target and baseline (one scale per row, since the rows
// range from hundreds to tens of thousands per second), and the pipeline's latency distribution
// (send → delivered, a percentile ladder per phase on a log scale).

/** The JSON documents of one run, by benchmark name (any may be missing). */
export type BenchDocuments = Record<string, Record<string, unknown> | undefined>;

export interface ThroughputRow {
  label: string;
  unit: string;
  value: number;
  target?: number;
  baseline?: { label: string; value: number };
}

export interface LatencySeries {
  label: string;
  points: { p: number; ms: number }[];
}

const WIDTH = 960;
const ROW_HEIGHT = 34;
const LABEL_WIDTH = 300;
const BAR_WIDTH = 520;
const COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd"];

/** The value at a dotted path of a document, when it is a finite number. */
function numberAt(document: Record<string, unknown> | undefined, path: string): number | undefined {
  let value: unknown = document;
  for (const part of path.split(".")) value = value !== null && typeof value === "object" ? (value as Record<string, unknown>)[part] : undefined;
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

function escapeXml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");
}

function formatNumber(value: number): string {
  return value >= 100 ? Math.round(value).toLocaleString("en-US") : String(Math.round(value * 10) / 10);
}

/** The throughput rows the documents hold, in pipeline order. */
export function throughputRows(documents: BenchDocuments): ThroughputRow[] {
  const rows: ThroughputRow[] = [];
  const push = (row: Omit<ThroughputRow, "value">, value: number | undefined) => {
    if (value !== undefined) rows.push({ ...row, value });
  };
  const { ingest, worker, outbox, pipeline } = documents;
  const ingestPgbench = numberAt(ingest, "pgbench_upsert_baseline.tps");
  push(
    {
      label: "single ingest, 32 connections",
      unit: "req/s",
      target: ingestPgbench === undefined ? undefined : ingestPgbench * 0.5,
      baseline: ingestPgbench === undefined ? undefined : { label: "pgbench upsert", value: ingestPgbench },
    },
    numberAt(ingest, "single_ingest.requests_per_second"),
  );
  push({ label: "batch ingest (500 items/request)", unit: "items/s", target: 50_000 }, numberAt(ingest, "batch_ingest.items_per_second"));
  push({ label: "claim worker, 1 process", unit: "evaluations/s", target: 3_000 }, numberAt(worker, "one_worker.evaluations_per_second"));
  push({ label: "claim worker, 2 processes", unit: "evaluations/s" }, numberAt(worker, "two_workers.evaluations_per_second"));
  push({ label: "claim worker, 3 processes", unit: "evaluations/s" }, numberAt(worker, "three_workers.evaluations_per_second"));
  push({ label: "outbox, 1 processor, defaults", unit: "events/s", target: 3_000 }, numberAt(outbox, "throughput_1_processor_defaults.events_per_second"));
  push({ label: "outbox, 4 processors", unit: "events/s" }, numberAt(outbox, "throughput_4_processors.events_per_second"));
  const xadd = numberAt(pipeline, "baselines.redis_benchmark_xadd.requests_per_second");
  const pipelinePgbench = numberAt(pipeline, "baselines.pgbench_upsert.tps");
  push(
    {
      label: "pipeline ingest, closed loop",
      unit: "req/s",
      baseline: pipelinePgbench === undefined ? undefined : { label: "pgbench upsert", value: pipelinePgbench },
    },
    numberAt(pipeline, "closed_loop.ingest_requests_per_second"),
  );
  push({ label: "pipeline deliveries, closed loop", unit: "deliveries/s", target: 1_050 }, numberAt(pipeline, "closed_loop.deliveries_per_second"));
  push({ label: "redis-benchmark XADD (baseline)", unit: "req/s" }, xadd);
  return rows;
}

/** The pipeline's send → delivered percentile ladders, one per phase. */
export function latencySeries(pipeline: Record<string, unknown> | undefined): LatencySeries[] {
  const phases: [string, string][] = [
    ["idle, one at a time", "idle_one_event"],
    ["closed loop, 32 connections", "closed_loop"],
    ["100 req/s", "fixed_rate.at_100_rps"],
    ["300 req/s", "fixed_rate.at_300_rps"],
  ];
  const series: LatencySeries[] = [];
  for (const [label, path] of phases) {
    let phase: unknown = pipeline;
    for (const part of path.split(".")) phase = phase !== null && typeof phase === "object" ? (phase as Record<string, unknown>)[part] : undefined;
    const ladder = (phase as { latency_ms_percentiles?: unknown } | undefined)?.latency_ms_percentiles;
    if (!Array.isArray(ladder)) continue;
    const points = ladder.filter((point): point is { p: number; ms: number } => typeof point?.p === "number" && Number.isFinite(point?.ms));
    if (points.length > 0) series.push({ label, points });
  }
  return series;
}

function throughputPanel(rows: readonly ThroughputRow[], top: number): string[] {
  const parts = [`<text x="20" y="${top}" class="title">Throughput (bar: measured; | target; ◆ baseline; each row its own scale)</text>`];
  rows.forEach((row, i) => {
    const y = top + 16 + i * ROW_HEIGHT;
    const scale = BAR_WIDTH / (Math.max(row.value, row.target ?? 0, row.baseline?.value ?? 0) * 1.1);
    const met = row.target === undefined ? undefined : row.value >= row.target;
    const fill = met === undefined ? "#7f7f7f" : met ? "#2ca02c" : "#d62728";
    parts.push(`<text x="20" y="${y + 17}">${escapeXml(row.label)}</text>`);
    parts.push(`<rect x="${LABEL_WIDTH}" y="${y + 4}" width="${(row.value * scale).toFixed(1)}" height="18" fill="${fill}"/>`);
    let note = `${formatNumber(row.value)} ${row.unit}`;
    if (row.target !== undefined) {
      const x = (LABEL_WIDTH + row.target * scale).toFixed(1);
      parts.push(`<line x1="${x}" x2="${x}" y1="${y}" y2="${y + 26}" stroke="#000" stroke-width="2"/>`);
      note += ` (target ${formatNumber(row.target)}: ${met ? "met" : "missed"})`;
    }
    if (row.baseline) {
      const x = LABEL_WIDTH + row.baseline.value * scale;
      parts.push(`<path d="M${x.toFixed(1)} ${y + 7} l6 6 l-6 6 l-6 -6 z" fill="#000"/>`);
      note += `, ${escapeXml(row.baseline.label)} ${formatNumber(row.baseline.value)}`;
    }
    parts.push(`<text x="${LABEL_WIDTH + BAR_WIDTH + 10}" y="${y + 17}" class="small">${note}</text>`);
  });
  return parts;
}

function latencyPanel(series: readonly LatencySeries[], top: number): string[] {
  const height = 260;
  const left = 80;
  const plotWidth = 560;
  const parts = [`<text x="20" y="${top}" class="title">Pipeline latency, send → delivered (ms, log scale) by percentile; dashed: targets p50 30 ms, p99 100 ms</text>`];
  const ladder = series[0]?.points.map((point) => point.p) ?? [];
  const allMs = series.flatMap((s) => s.points.map((point) => Math.max(1, point.ms)));
  const maxLog = Math.ceil(Math.log10(Math.max(100, ...allMs)));
  const y0 = top + 20 + height;
  const yOf = (ms: number) => y0 - (Math.log10(Math.max(1, ms)) / maxLog) * height;
  const xOf = (index: number) => left + (index / Math.max(1, ladder.length - 1)) * plotWidth;
  for (let decade = 0; decade <= maxLog; decade++) {
    const y = yOf(10 ** decade).toFixed(1);
    parts.push(`<line x1="${left}" x2="${left + plotWidth}" y1="${y}" y2="${y}" stroke="#ddd"/>`);
    parts.push(`<text x="${left - 8}" y="${y}" class="small" text-anchor="end">${formatNumber(10 ** decade)}</text>`);
  }
  ladder.forEach((p, index) => parts.push(`<text x="${xOf(index).toFixed(1)}" y="${y0 + 16}" class="small" text-anchor="middle">p${p}</text>`));
  for (const [ms, p] of [
    [30, 50],
    [100, 99],
  ] as const) {
    const index = ladder.indexOf(p);
    if (index >= 0) parts.push(`<line x1="${left}" x2="${xOf(index).toFixed(1)}" y1="${yOf(ms).toFixed(1)}" y2="${yOf(ms).toFixed(1)}" stroke="#000" stroke-dasharray="4 3"/>`);
  }
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length] as string;
    const points = s.points.map((point) => `${xOf(ladder.indexOf(point.p)).toFixed(1)},${yOf(point.ms).toFixed(1)}`).join(" ");
    parts.push(`<polyline points="${points}" fill="none" stroke="${color}" stroke-width="2"/>`);
    const median = s.points.find((point) => point.p === 50)?.ms;
    const worst = s.points[s.points.length - 1]?.ms;
    const legend = `${s.label}: p50 ${median ?? "?"} ms, max ${worst ?? "?"} ms`;
    parts.push(`<rect x="${left + plotWidth + 20}" y="${top + 24 + i * 20}" width="12" height="12" fill="${color}"/>`);
    parts.push(`<text x="${left + plotWidth + 38}" y="${top + 34 + i * 20}" class="small">${escapeXml(legend)}</text>`);
  });
  return parts;
}

/** The whole chart; `caption` says when and under what load it was measured. */
export function renderChart(documents: BenchDocuments, caption: string): string {
  const rows = throughputRows(documents);
  const series = latencySeries(documents.pipeline);
  const latencyTop = 80 + 16 + rows.length * ROW_HEIGHT + 40;
  const height = series.length > 0 ? latencyTop + 320 : latencyTop;
  const body = [
    `<text x="20" y="28" class="heading">M10 make bench</text>`,
    `<text x="20" y="48" class="small">${escapeXml(caption)}</text>`,
    ...throughputPanel(rows, 80),
    ...(series.length > 0 ? latencyPanel(series, latencyTop) : []),
  ];
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH + 280}" height="${height}" viewBox="0 0 ${WIDTH + 280} ${height}" font-family="sans-serif" font-size="13">`,
    `<style>.heading{font-size:20px;font-weight:bold}.title{font-weight:bold}.small{font-size:11px}</style>`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    ...body,
    `</svg>`,
    "",
  ].join("\n");
}
