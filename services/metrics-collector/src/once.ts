/**
 * `--once`: one collection pass, printed as one JSON document on stdout: the sections of
 * collectionReport plus `metrics`, the gauge samples exactly as /metrics would export them.
 */
import type { M10Metrics, StreamKeys } from "@m10/shared";
import { collect, type Sources } from "./collection.js";
import type { GaugeRecorder } from "./gauge-recorder.js";
import { collectionReport, type CollectionReport } from "./report.js";

type Registry = M10Metrics<"metrics-collector">["registry"];

export interface OnceResult {
  ok: boolean;
  document: CollectionReport & { metrics: Record<string, number | string> };
}

export async function collectOnce(sources: Sources, recorder: GaugeRecorder, registry: Registry, keys: StreamKeys): Promise<OnceResult> {
  const collection = await collect(sources);
  recorder.record(collection);
  const report = collectionReport(collection, keys);
  return { ok: report.ok, document: { ...report, metrics: await gaugeSamples(registry) } };
}

/** `name{label="value"}` → value for every gauge sample; ±Inf as strings (JSON has no Infinity). */
export async function gaugeSamples(registry: Registry): Promise<Record<string, number | string>> {
  const samples: Record<string, number | string> = {};
  for (const metric of await registry.getMetricsAsJSON()) {
    if (String(metric.type) !== "gauge") continue;
    for (const sample of metric.values) {
      const labels = Object.entries(sample.labels)
        .map(([name, value]) => `${name}="${String(value)}"`)
        .join(",");
      const key = labels ? `${metric.name}{${labels}}` : metric.name;
      samples[key] = Number.isFinite(sample.value) ? sample.value : sample.value > 0 ? "+Inf" : "-Inf";
    }
  }
  return samples;
}
