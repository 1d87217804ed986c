/**
 * prom-client instruments built from the metrics catalogue, per service.
 *
 *   const { registry, metrics } = createMetrics("claim-worker");
 *   metrics.recoveryWorkerClaimedTotal.inc({ source: "redis_stream" }, n);
 *   res.type(registry.contentType).send(await registry.metrics());
 *
 * Only the metrics whose catalogue entry lists the service are created, so a service cannot
 * export a metric it never writes, and the returned object's type only offers those.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { buildInfo } from "../build-info.js";
import { METRICS, SERVICES, type MetricKey, type MetricSpec, type ServiceName } from "./catalogue.js";

type Catalogue = typeof METRICS;

/** The label names of a catalogue metric, as a string-literal union (never when unlabelled). */
export type LabelNamesOf<K extends MetricKey> = Catalogue[K]["labelNames"][number];

/** The prom-client instrument type of a catalogue metric. */
export type MetricFor<K extends MetricKey> = Catalogue[K]["kind"] extends "counter"
  ? Counter<LabelNamesOf<K>>
  : Catalogue[K]["kind"] extends "gauge"
    ? Gauge<LabelNamesOf<K>>
    : Histogram<LabelNamesOf<K>>;

/** Catalogue keys of the metrics a service writes. */
export type MetricKeysOf<S extends ServiceName> = {
  [K in MetricKey]: S extends Catalogue[K]["services"][number] ? K : never;
}[MetricKey];

export type ServiceMetrics<S extends ServiceName> = {
  readonly [K in MetricKeysOf<S>]: MetricFor<K>;
};

export interface CreateMetricsOptions {
  /** Register into this registry instead of a new one. */
  registry?: Registry;
  /** prom-client's process_* and nodejs_* metrics. Default true. */
  defaultMetrics?: boolean;
  /** Labels added to every series of the registry (e.g. in tests). Default none. */
  defaultLabels?: Record<string, string>;
}

export interface M10Metrics<S extends ServiceName> {
  readonly service: S;
  readonly registry: Registry;
  readonly metrics: ServiceMetrics<S>;
}

type AnyInstrument = Counter<string> | Gauge<string> | Histogram<string>;

export function createMetrics<S extends ServiceName>(
  service: S,
  options: CreateMetricsOptions = {},
): M10Metrics<S> {
  if (!(SERVICES as readonly string[]).includes(service)) {
    throw new Error(`createMetrics: unknown service "${service}" (expected one of ${SERVICES.join(", ")})`);
  }
  const registry = options.registry ?? new Registry();
  if (options.defaultLabels) registry.setDefaultLabels(options.defaultLabels);
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });

  const metrics: Record<string, AnyInstrument> = {};
  for (const [key, spec] of Object.entries(METRICS) as [MetricKey, MetricSpec][]) {
    if (!spec.services.includes(service)) continue;
    metrics[key] = createInstrument(spec, registry);
  }
  const info = buildInfo();
  (metrics.m10BuildInfo as Gauge<string> | undefined)?.set({ version: info.version, revision: info.revision, node_version: info.nodeVersion }, 1);
  return { service, registry, metrics: metrics as unknown as ServiceMetrics<S> };
}

function createInstrument(spec: MetricSpec, registry: Registry): AnyInstrument {
  const base = {
    name: spec.name,
    help: spec.help,
    labelNames: [...spec.labelNames],
    registers: [registry],
  };
  const combos = knownLabelCombinations(spec);
  switch (spec.kind) {
    case "counter": {
      const counter = new Counter(base);
      for (const labels of combos) counter.inc(labels, 0);
      return counter;
    }
    case "histogram": {
      const histogram = new Histogram({ ...base, ...(spec.buckets ? { buckets: [...spec.buckets] } : {}) });
      for (const labels of combos) histogram.zero(labels);
      return histogram;
    }
    case "gauge":
      // Gauges are not pre-set: a 0 written before the first real reading would be a lie
      // (m10_dependency_up = 0 would claim an outage).
      return new Gauge(base);
  }
}

/**
 * Every combination of documented label values, when all labels of a labelled metric have them;
 * otherwise none. Pre-creating these series lets rate() and `unless` see a counter before its
 * first increment.
 */
export function knownLabelCombinations(spec: MetricSpec): Record<string, string>[] {
  if (spec.labelNames.length === 0) return [];
  let combos: Record<string, string>[] = [{}];
  for (const label of spec.labelNames) {
    const values = spec.labelValues?.[label];
    if (!values || values.length === 0) return [];
    combos = combos.flatMap((c) => values.map((v) => ({ ...c, [label]: v })));
  }
  return combos;
}
