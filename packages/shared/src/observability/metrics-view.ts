// The Phase 7 runbook's JSON view of a service's metrics (`GET /monitoring/metrics`): totals read
// from the service's own prom-client registry, so the JSON and /metrics never disagree.
import type { Registry } from "prom-client";

/** The path of the JSON view on every service (beside /metrics, which stays Prometheus text). */
export const MONITORING_METRICS_PATH = "/monitoring/metrics";

async function samples(registry: Registry, name: string): Promise<{ labels: Partial<Record<string, string | number>>; value: number }[]> {
  const metric = registry.getSingleMetric(name);
  return metric ? (await metric.get()).values : [];
}

/** A counter's or gauge's value summed over its series whose labels match `where`; 0 when it has none. */
export async function metricTotal(registry: Registry, name: string, where: Record<string, string> = {}): Promise<number> {
  return (await samples(registry, name))
    .filter((sample) => Object.entries(where).every(([label, value]) => String(sample.labels[label]) === value))
    .reduce((sum, sample) => sum + sample.value, 0);
}

/** A counter's or gauge's value summed by one label: `{ "<label value>": total }`. */
export async function metricTotalsBy(registry: Registry, name: string, label: string): Promise<Record<string, number>> {
  const totals: Record<string, number> = {};
  for (const sample of await samples(registry, name)) {
    const key = String(sample.labels[label] ?? "");
    totals[key] = (totals[key] ?? 0) + sample.value;
  }
  return totals;
}

/** Successes as a percentage of successes + failures, two decimals; null before the first of either. */
export function successRate(success: number, failure: number): number | null {
  const total = success + failure;
  return total === 0 ? null : Math.round((success / total) * 10_000) / 100;
}
