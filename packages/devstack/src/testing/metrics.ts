// Reading a Prometheus text exposition (a /metrics page or a registry's metrics()) the way
// Prometheus does, for assertions on exported values.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  /** Metric family names with a # TYPE line (exported, with or without samples). */
  families: Set<string>;
  samples: Sample[];
}

const SPECIAL_VALUES: Record<string, number> = { "+Inf": Number.POSITIVE_INFINITY, "-Inf": Number.NEGATIVE_INFINITY, NaN: Number.NaN };

export function parseExposition(text: string): Exposition {
  const families = new Set<string>();
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    const type = /^# TYPE (\S+) \S+/.exec(line);
    if (type?.[1]) families.add(type[1]);
    if (line === "" || line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!match?.[1] || match[3] === undefined) continue;
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) if (pair[1]) labels[pair[1]] = pair[2] ?? "";
    samples.push({ name: match[1], labels, value: SPECIAL_VALUES[match[3]] ?? Number(match[3]) });
  }
  return { families, samples };
}

function samplesOf(exposition: Exposition | string, name: string, labels: Record<string, string>): Sample[] {
  const parsed = typeof exposition === "string" ? parseExposition(exposition) : exposition;
  return parsed.samples.filter((s) => s.name === name && Object.entries(labels).every(([key, value]) => s.labels[key] === value));
}

/** The value of the one sample with this name and (at least) these labels; undefined if absent, an error if several match. */
export function valueOf(exposition: Exposition | string, name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samplesOf(exposition, name, labels);
  if (found.length > 1) throw new Error(`${name} ${JSON.stringify(labels)} matches ${found.length} samples`);
  return found[0]?.value;
}

/**
 * The sum of the samples with this name whose labels include `labels` (0 when there are none).
 * A histogram's observations are counted by its `<name>_count` samples.
 */
export function metricValue(exposition: Exposition | string, name: string, labels: Record<string, string> = {}): number {
  return samplesOf(exposition, name, labels).reduce((total, sample) => total + sample.value, 0);
}

/** GET <url>/metrics, parsed. */
export async function scrape(target: string | { url: string }): Promise<Exposition> {
  const baseUrl = typeof target === "string" ? target : target.url;
  const response = await fetch(`${baseUrl}/metrics`);
  if (!response.ok) throw new Error(`GET ${baseUrl}/metrics answered ${response.status}`);
  return parseExposition(await response.text());
}
